using RayPS.Logs;

namespace RayPS.Client.Tests.Logs;

public sealed class LogTextTests
{
    [Fact]
    public void Splits_the_kubelets_nanosecond_timestamp_off_a_line()
    {
        var (time, text) = LogText.SplitKubeletTimestamp("2026-03-01T11:56:00.123456789Z 2026-03-01 11:56:00,123\tINFO scripts.py:1007 -- Ray runtime started.");
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 11, 56, 0, TimeSpan.Zero).AddTicks(1234567), time);
        Assert.Equal("2026-03-01 11:56:00,123\tINFO scripts.py:1007 -- Ray runtime started.", text);
    }

    [Theory]
    [InlineData("no timestamp here")]
    [InlineData("2026-03-01 11:56:00,123\tINFO x")]
    [InlineData("")]
    public void Leaves_lines_without_a_kubelet_timestamp_alone(string line)
    {
        var (time, text) = LogText.SplitKubeletTimestamp(line);
        Assert.Null(time);
        Assert.Equal(line, text);
    }

    [Theory]
    [InlineData("[2025-06-01 12:00:01,234 I 45 45] (raylet) main.cc:227: Setting cluster ID", "2025-06-01T12:00:01.234Z")]
    [InlineData("2025-06-01 12:00:01,234\tINFO head.py:246 -- Starting", "2025-06-01T12:00:01.234Z")]
    public void Reads_the_time_of_Ray_log_lines_as_UTC(string line, string expected) =>
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), LogText.RayLineTime(line));

    [Fact]
    public void Ray_lines_without_a_time_have_none() => Assert.Null(LogText.RayLineTime("Traceback (most recent call last):"));

    [Theory]
    [InlineData("raylet*", "raylet.out", true)]
    [InlineData("RAYLET.OUT", "raylet.out", true)]
    [InlineData("worker-*.err", "worker-01ab-ffff-123.err", true)]
    [InlineData("worker-*.err", "worker-01ab-ffff-123.out", false)]
    [InlineData("gcs_server.?ut", "gcs_server.out", true)]
    [InlineData("[rg]*", "gcs_server.out", true)]
    [InlineData("*.log", "raylet.out", false)]
    public void Matches_PowerShell_style_wildcards(string pattern, string name, bool expected) => Assert.Equal(expected, LogText.IsMatch(pattern, name));

    [Fact]
    public void Names_from_the_server_never_become_paths()
    {
        Assert.Equal("_..", ClusterLogSaver.SafeName(".."));
        Assert.Equal(".._etc_passwd", ClusterLogSaver.SafeName("../etc/passwd"));
        Assert.Equal("raylet.out", ClusterLogSaver.SafeName("raylet.out"));
    }
}
