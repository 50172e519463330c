using RayPS.Model;

namespace RayPS.Client.Tests;

public sealed class QuantityTests
{
    [Theory]
    [InlineData("12", 12)]
    [InlineData("500m", 0.5)]
    [InlineData("1.5", 1.5)]
    [InlineData("40Gi", 42949672960)]
    [InlineData("16384", 16384)]
    [InlineData("1e3", 1000)]
    [InlineData("2k", 2000)]
    public void Parses_valid_quantities(string text, double expected) =>
        Assert.Equal((decimal)expected, Quantity.Parse(text));

    [Theory]
    [InlineData("40GB")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("1.2.3")]
    public void Rejects_invalid_quantities(string text) => Assert.False(Quantity.IsValid(text));

    [Theory]
    [InlineData(42949672960, "40Gi")]
    [InlineData(536870912, "512Mi")]
    [InlineData(1000, "1000")]
    public void Formats_bytes(double bytes, string expected) => Assert.Equal(expected, Quantity.FormatBytes((decimal)bytes));
}
