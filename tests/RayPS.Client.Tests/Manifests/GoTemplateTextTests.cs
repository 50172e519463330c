using System.Text.Json.Nodes;
using RayPS.Manifests;

namespace RayPS.Client.Tests.Manifests;

public sealed class GoTemplateTextTests
{
    [Theory]
    [InlineData(0, "0")]
    [InlineData(1, "1")]
    [InlineData(16384, "16384")]
    [InlineData(100000, "100000")]
    [InlineData(1000000, "1e+06")]
    [InlineData(1234567, "1.234567e+06")]
    [InlineData(20000000000, "2e+10")]
    [InlineData(2147483647, "2.147483647e+09")]
    [InlineData(0.5, "0.5")]
    [InlineData(2.10, "2.1")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(-3.25, "-3.25")]
    public void Formats_floats_like_go_percent_v(double value, string expected) => Assert.Equal(expected, GoTemplateText.FormatFloat(value));

    [Fact]
    public void Truth_follows_go_templates()
    {
        Assert.False(GoTemplateText.IsTruthy(null));
        Assert.False(GoTemplateText.IsTruthy(JsonValue.Create(0)));
        Assert.False(GoTemplateText.IsTruthy(JsonValue.Create("")));
        Assert.False(GoTemplateText.IsTruthy(JsonValue.Create(false)));
        Assert.False(GoTemplateText.IsTruthy(new JsonObject()));
        Assert.False(GoTemplateText.IsTruthy(new JsonArray()));
        Assert.True(GoTemplateText.IsTruthy(JsonValue.Create(2L)));
        Assert.True(GoTemplateText.IsTruthy(JsonValue.Create("x")));
        Assert.True(GoTemplateText.IsTruthy(new JsonArray(1)));
    }
}
