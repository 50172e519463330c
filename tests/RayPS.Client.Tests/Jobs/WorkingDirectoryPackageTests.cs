using System.IO.Compression;
using System.Text.Json.Nodes;
using RayPS.Errors;
using RayPS.Jobs;
using RayPS.Ray;

namespace RayPS.Client.Tests.Jobs;

public sealed class WorkingDirectoryPackageTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "rayps-pkg-" + Guid.NewGuid().ToString("N"));

    public WorkingDirectoryPackageTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "sub", "empty"));
        Directory.CreateDirectory(Path.Combine(_root, "data"));
        File.WriteAllText(Path.Combine(_root, "train.py"), "print('hi')\n");
        File.WriteAllText(Path.Combine(_root, "sub", "util.py"), "x=1\n");
        File.WriteAllText(Path.Combine(_root, ".gitignore"), "*.log\n");
        File.WriteAllText(Path.Combine(_root, "a.log"), "zzz\n");
        File.WriteAllText(Path.Combine(_root, "data", "big.bin"), "big\n");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Names_the_package_as_Rays_packaging_does()
    {
        // Expected value from Ray's algorithm (SHA-1 of relative path and bytes per visited path, first 8 bytes XORed
        // onto "00000000"), run in Python over this same tree with the same exclusions.
        var package = WorkingDirectoryPackage.Scan(_root, ["data/"], WorkingDirectoryPackage.DefaultMaxBytes);
        Assert.Equal("_ray_pkg_b8145c55f95f7616.zip", package.Name);
        Assert.Equal("gcs://_ray_pkg_b8145c55f95f7616.zip", package.Uri);
    }

    [Fact]
    public void Packs_files_and_empty_folders_but_not_excluded_ones()
    {
        var package = WorkingDirectoryPackage.Scan(_root, ["data/"], WorkingDirectoryPackage.DefaultMaxBytes);
        using var zip = new ZipArchive(new MemoryStream(package.Zip(WorkingDirectoryPackage.DefaultMaxBytes)));
        var names = zip.Entries.Select(e => e.FullName).OrderBy(n => n, StringComparer.Ordinal).ToList();
        Assert.Equal([".gitignore", "sub/empty/", "sub/util.py", "train.py"], names);
        Assert.All(zip.Entries.Where(e => e.Length > 0), e => Assert.Equal(e.Length, e.CompressedLength));
    }

    [Fact]
    public void Changes_name_with_content_but_not_with_excluded_files()
    {
        var before = WorkingDirectoryPackage.Scan(_root, ["data/"], long.MaxValue).Name;
        File.WriteAllText(Path.Combine(_root, "data", "more.bin"), "more");
        File.WriteAllText(Path.Combine(_root, "sub", "x.log"), "log");
        Assert.Equal(before, WorkingDirectoryPackage.Scan(_root, ["data/"], long.MaxValue).Name);
        File.AppendAllText(Path.Combine(_root, "train.py"), "print('more')\n");
        Assert.NotEqual(before, WorkingDirectoryPackage.Scan(_root, ["data/"], long.MaxValue).Name);
    }

    [Fact]
    public void Refuses_a_folder_over_the_limit_and_a_missing_one()
    {
        var tooLarge = Assert.Throws<RayPSException>(() => WorkingDirectoryPackage.Scan(_root, [], 10));
        Assert.Equal(ErrorIds.WorkingDirectoryTooLarge, tooLarge.ErrorId);
        Assert.Equal(RayErrorCategory.LimitsExceeded, tooLarge.Category);
        var missing = Assert.Throws<RayPSException>(() => WorkingDirectoryPackage.Scan(Path.Combine(_root, "nope"), [], 10));
        Assert.Equal(ErrorIds.WorkingDirectoryNotFound, missing.ErrorId);
    }

    [Fact]
    public void The_default_excludes_leave_out_git_and_virtual_environments()
    {
        Directory.CreateDirectory(Path.Combine(_root, ".git", "objects"));
        File.WriteAllText(Path.Combine(_root, ".git", "HEAD"), "ref");
        Directory.CreateDirectory(Path.Combine(_root, "sub", "__pycache__"));
        File.WriteAllText(Path.Combine(_root, "sub", "__pycache__", "util.pyc"), "pyc");
        var package = WorkingDirectoryPackage.Scan(_root, WorkingDirectoryPackage.BuiltInExcludes.Append("data/"), long.MaxValue);
        Assert.Equal("_ray_pkg_b8145c55f95f7616.zip", package.Name);
        Assert.DoesNotContain(package.Entries, e => e.RelativePath.Contains(".git/", StringComparison.Ordinal) || e.RelativePath.Contains("__pycache__", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("*.log", "a.log", true)]
    [InlineData("*.log", "deep/dir/a.log", true)]
    [InlineData("*.log", "a.logx", false)]
    [InlineData("data/", "data", false)]
    [InlineData("data/", "data/x.bin", true)]
    [InlineData("data/", "sub/data/x.bin", true)]
    [InlineData("/data", "sub/data", false)]
    [InlineData("/data", "data/x", true)]
    [InlineData("a/**/b", "a/x/y/b", true)]
    [InlineData("a/**/b", "a/b", true)]
    [InlineData("**/cache", "x/cache/y", true)]
    [InlineData("file?.txt", "file1.txt", true)]
    [InlineData("file[0-9].txt", "filea.txt", false)]
    [InlineData("# comment", "# comment", false)]
    public void Matches_gitignore_patterns(string pattern, string path, bool excluded) =>
        Assert.Equal(excluded, new GitWildMatch([pattern]).Matches(path));

    [Fact]
    public void Negation_reincludes_what_an_earlier_pattern_excluded() =>
        Assert.False(new GitWildMatch(["*.log", "!keep.log"]).Matches("keep.log"));
}

public sealed class RayJobParsingTests
{
    [Fact]
    public void Reads_JobDetails_with_nulls_and_string_pids()
    {
        var node = JsonNode.Parse("""
            {"type": "SUBMISSION", "job_id": "02000000", "submission_id": "rayjob-a", "driver_info": {"id": "02000000", "node_ip_address": "10.244.0.9", "pid": "1234"},
             "status": "SUCCEEDED", "entrypoint": "python x.py", "message": "Job finished successfully.", "error_type": null,
             "start_time": 1748779300000, "end_time": 1748779310500, "metadata": {"owner": "team-a"}, "runtime_env": {"pip": ["requests"], "env_vars": {"A": "1"}},
             "driver_agent_http_address": "http://10.244.0.9:52365", "driver_node_id": "3f2a", "driver_exit_code": 0, "unknown_future_field": 1}
            """);
        var job = RayJob.FromJson(node, "ray", "c1", DateTimeOffset.UtcNow);
        Assert.Equal("rayjob-a", job.Id);
        Assert.Equal(TimeSpan.FromMilliseconds(10500), job.Duration);
        Assert.Equal("team-a", job.Metadata["owner"]);
        Assert.Equal(new object[] { "requests" }, (object[])job.RuntimeEnv["pip"]!);
        Assert.Equal("10.244.0.9", job.DriverNodeIp);
        Assert.True(job.IsTerminal);
    }

    [Fact]
    public void A_driver_job_is_addressed_by_its_job_id_and_a_zero_end_time_is_no_end()
    {
        var node = JsonNode.Parse("""{"type": "DRIVER", "job_id": "01000000", "submission_id": null, "status": "RUNNING", "entrypoint": "", "start_time": 1000, "end_time": 0}""");
        var job = RayJob.FromJson(node, "ray", "c1", DateTimeOffset.FromUnixTimeMilliseconds(4000));
        Assert.Equal("01000000", job.Id);
        Assert.Null(job.EndTime);
        Assert.Equal(TimeSpan.FromSeconds(3), job.Duration);
    }

    [Fact]
    public void Takes_the_error_line_of_a_Ray_traceback()
    {
        var answer = new RayHttpAnswer("POST", "/api/jobs/", 400,
            "Traceback (most recent call last):\n  File \"x.py\", line 1, in f\n    raise TypeError(\nTypeError: entrypoint must be a string, got <class 'int'>\n", "text/plain");
        Assert.False(answer.FromApiServer);
        Assert.Equal("TypeError: entrypoint must be a string, got <class 'int'>", answer.RayMessage());
    }

    [Fact]
    public void Tells_the_API_servers_Status_from_Rays_answer()
    {
        var answer = new RayHttpAnswer("GET", "/api/jobs/", 503,
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"no endpoints available for service \"c-head-svc\"","reason":"ServiceUnavailable","code":503}""", "application/json");
        Assert.True(answer.FromApiServer);
        Assert.False(answer.IsSuccess);
    }

    [Fact]
    public void Builds_the_submit_body_with_runtime_env_additions_and_no_unset_fields()
    {
        var submission = new RayJobSubmission
        {
            Entrypoint = "python x.py",
            RuntimeEnv = new JsonObject { ["pip"] = new JsonArray("numpy"), ["excludes"] = new JsonArray("*.ckpt") },
            PipPackages = ["requests"],
            EnvironmentVariables = new Dictionary<string, string> { ["A"] = "1" },
            EntrypointMemory = 1024,
        };
        var body = submission.Body("gcs://_ray_pkg_0011223344556677.zip");
        Assert.Equal("""{"entrypoint":"python x.py","runtime_env":{"pip":["numpy","requests"],"excludes":["*.ckpt"],"env_vars":{"A":"1"},"working_dir":"gcs://_ray_pkg_0011223344556677.zip"},"entrypoint_memory":1024}""",
            body.ToJsonString());
        Assert.Equal(["*.ckpt"], submission.AllExcludes());
    }
}
