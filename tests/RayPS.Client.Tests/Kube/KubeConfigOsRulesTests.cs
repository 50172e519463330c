using RayPS.Errors;
using RayPS.Kube;

namespace RayPS.Client.Tests.Kube;

/// <summary>kubectl's path, home-folder, PATHEXT and proxy rules, with the OS facts injected so the Windows rules run here too.</summary>
public sealed class KubeConfigOsRulesTests
{
    private static OsFacts Windows(Dictionary<string, string> env, ISet<string>? files = null, ISet<string>? dirs = null, ISet<string>? readOnly = null) => new()
    {
        IsWindows = true,
        GetEnvironmentVariable = name => env.FirstOrDefault(kv => string.Equals(kv.Key, name, StringComparison.OrdinalIgnoreCase)).Value,
        FileExists = path => files?.Contains(path) ?? false,
        DirectoryExists = path => dirs?.Contains(path) ?? false,
        DirectoryWritable = path => (dirs?.Contains(path) ?? false) && !(readOnly?.Contains(path) ?? false),
        CurrentDirectory = () => @"C:\work",
        IsExecutable = _ => true,
    };

    private static OsFacts Unix(Dictionary<string, string> env, ISet<string>? files = null, string? accountHome = "/home/account") => new()
    {
        IsWindows = false,
        GetEnvironmentVariable = name => env.TryGetValue(name, out var v) ? v : null,
        FileExists = path => files?.Contains(path) ?? false,
        IsExecutable = _ => true,
        AccountHome = () => accountHome,
        CurrentDirectory = () => "/work",
    };

    [Fact]
    public void Windows_SplitList_strips_quotes_and_keeps_separators_inside_them()
    {
        var facts = Windows(new());
        var parts = KubeConfigLoader.SplitList(@"""C:\Program Files\kube;x\config"";C:\b\config;;""D:\c""", facts);
        Assert.Equal(new[] { @"C:\Program Files\kube;x\config", @"C:\b\config", "", @"D:\c" }, parts);
    }

    [Fact]
    public void Unix_SplitList_splits_on_colons_only_and_keeps_quotes()
    {
        var parts = KubeConfigLoader.SplitList("/a/\"b\":/c::/d", Unix(new()));
        Assert.Equal(new[] { "/a/\"b\"", "/c", "", "/d" }, parts);
    }

    [Fact]
    public void Windows_KUBECONFIG_with_a_quoted_entry_finds_that_file()
    {
        var files = new HashSet<string> { @"C:\Program Files\kube\config" };
        var facts = Windows(new() { ["KUBECONFIG"] = @"""C:\Program Files\kube\config"";C:\missing" }, files);
        var sources = KubeConfigLoader.Resolve(null, facts);
        Assert.Equal(new[] { @"C:\Program Files\kube\config" }, sources.Existing);
        Assert.Equal(new[] { @"C:\missing" }, sources.Missing);
    }

    [Fact]
    public void KUBECONFIG_listing_only_missing_files_does_not_fall_back_to_the_home_config()
    {
        var files = new HashSet<string> { "/home/u/.kube/config" };
        var facts = Unix(new() { ["KUBECONFIG"] = "/nope/a:/nope/b", ["HOME"] = "/home/u" }, files);
        var sources = KubeConfigLoader.Resolve(null, facts);
        Assert.Empty(sources.Existing);
        Assert.Equal(KubeConfigOrigin.Environment, sources.Origin);

        var ex = Assert.Throws<RayPSException>(() => KubeConfigLoader.Prepare(new KubeConnectionOptions(), facts));
        Assert.Equal(ErrorIds.KubeConfigNotFound, ex.ErrorId);
        Assert.StartsWith("Config not found: /nope/a, /nope/b.", ex.Message);
        Assert.Contains("Start-RaySandbox", ex.Message);
        Assert.DoesNotContain("/home/u", ex.Message);
    }

    [Fact]
    public void Empty_KUBECONFIG_counts_as_unset()
    {
        var files = new HashSet<string> { "/home/u/.kube/config" };
        var sources = KubeConfigLoader.Resolve(null, Unix(new() { ["KUBECONFIG"] = "", ["HOME"] = "/home/u" }, files));
        Assert.Equal(new[] { "/home/u/.kube/config" }, sources.Existing);
    }

    [Fact]
    public void KUBECONFIG_duplicates_are_dropped_and_relative_entries_are_against_the_working_directory()
    {
        var files = new HashSet<string> { "/work/a", "/etc/b" };
        var sources = KubeConfigLoader.Resolve(null, Unix(new() { ["KUBECONFIG"] = "a:/etc/b:a" }, files));
        Assert.Equal(new[] { "/work/a", "/etc/b" }, sources.Existing);
    }

    [Fact]
    public void Windows_home_is_the_first_of_HOME_HOMEDRIVE_HOMEPATH_USERPROFILE_holding_a_kube_config()
    {
        var env = new Dictionary<string, string> { ["HOME"] = @"H:\home", ["HOMEDRIVE"] = "D:", ["HOMEPATH"] = @"\Users\u", ["USERPROFILE"] = @"C:\Users\u" };
        var dirs = new HashSet<string> { @"H:\home", @"D:\Users\u", @"C:\Users\u" };
        Assert.Equal(@"D:\Users\u", KubeConfigLoader.HomeDirectory(Windows(env, new HashSet<string> { @"D:\Users\u\.kube\config", @"C:\Users\u\.kube\config" }, dirs)));
        Assert.Equal(@"C:\Users\u", KubeConfigLoader.HomeDirectory(Windows(env, new HashSet<string> { @"C:\Users\u\.kube\config" }, dirs)));
    }

    [Fact]
    public void Windows_home_without_any_kube_config_prefers_HOME_then_USERPROFILE_that_is_writable_then_existing_then_set()
    {
        var env = new Dictionary<string, string> { ["HOME"] = @"H:\home", ["HOMEDRIVE"] = "D:", ["HOMEPATH"] = @"\Users\u", ["USERPROFILE"] = @"C:\Users\u" };
        Assert.Equal(@"H:\home", KubeConfigLoader.HomeDirectory(Windows(env, dirs: new HashSet<string> { @"H:\home", @"C:\Users\u" })));
        Assert.Equal(@"C:\Users\u", KubeConfigLoader.HomeDirectory(Windows(env, dirs: new HashSet<string> { @"H:\home", @"C:\Users\u" }, readOnly: new HashSet<string> { @"H:\home" })));
        Assert.Equal(@"H:\home", KubeConfigLoader.HomeDirectory(Windows(env, dirs: new HashSet<string> { @"H:\home" }, readOnly: new HashSet<string> { @"H:\home" })));
        Assert.Equal(@"H:\home", KubeConfigLoader.HomeDirectory(Windows(env)));
        env.Remove("HOME");
        Assert.Equal(@"C:\Users\u", KubeConfigLoader.HomeDirectory(Windows(env)));
    }

    [Fact]
    public void Windows_default_kubeconfig_follows_the_home_rules_not_the_profile_folder()
    {
        // The Pester test that hides the user's config sets HOME: on Windows that must win when it holds a config.
        var env = new Dictionary<string, string> { ["HOME"] = @"T:\test", ["USERPROFILE"] = @"C:\Users\u" };
        var files = new HashSet<string> { @"T:\test\.kube\config", @"C:\Users\u\.kube\config" };
        var sources = KubeConfigLoader.Resolve(null, Windows(env, files, new HashSet<string> { @"T:\test", @"C:\Users\u" }));
        Assert.Equal(new[] { @"T:\test\.kube\config" }, sources.Existing);
    }

    [Fact]
    public void Unix_home_is_SNAP_REAL_HOME_with_a_config_else_HOME_else_the_account_home()
    {
        Assert.Equal("/snap/real", KubeConfigLoader.HomeDirectory(Unix(new() { ["SNAP_REAL_HOME"] = "/snap/real", ["HOME"] = "/h" }, new HashSet<string> { "/snap/real/.kube/config" })));
        Assert.Equal("/h", KubeConfigLoader.HomeDirectory(Unix(new() { ["SNAP_REAL_HOME"] = "/snap/real", ["HOME"] = "/h" })));
        Assert.Equal("/home/account", KubeConfigLoader.HomeDirectory(Unix(new())));
    }

    [Fact]
    public void Windows_plugin_lookup_uses_PATHEXT_in_order_and_skips_the_current_directory()
    {
        var files = new HashSet<string> { @"C:\tools\aws.cmd", @"C:\bin\aws.ps1", @"C:\work\aws.exe" };
        var env = new Dictionary<string, string> { ["PATH"] = @";.;C:\bin;C:\tools", ["PATHEXT"] = ".COM;.EXE;.BAT;.CMD" };
        // PATH order first, then PATHEXT order within a folder: C:\bin has only a .ps1, which RayPS tries after PATHEXT.
        Assert.Equal(@"C:\bin\aws.ps1", ExecPluginRunner.LookPath("aws", Windows(env, files)));
        env["PATH"] = @"C:\tools;C:\bin";
        Assert.Equal(@"C:\tools\aws.cmd", ExecPluginRunner.LookPath("aws", Windows(env, files)));
        Assert.Equal(@"C:\tools\aws.cmd", ExecPluginRunner.LookPath("aws.cmd", Windows(env, files)));
        Assert.Null(ExecPluginRunner.LookPath("kubelogin", Windows(env, files)));
    }

    [Fact]
    public void Windows_plugin_with_a_path_is_looked_up_there_only_with_PATHEXT()
    {
        var files = new HashSet<string> { @"C:\kube\bin\login.bat" };
        var env = new Dictionary<string, string> { ["PATH"] = @"C:\elsewhere" };
        Assert.Equal(@"C:\kube\bin\login.bat", ExecPluginRunner.LookPath(@"C:\kube\bin\login", Windows(env, files)));
    }

    [Fact]
    public void Windows_batch_plugins_run_through_cmd_with_each_argument_whole()
    {
        var facts = Windows(new() { ["ComSpec"] = @"C:\Windows\system32\cmd.exe" });
        var launch = ExecPluginRunner.PlanLaunch(@"C:\Program Files\aws\aws.cmd", new[] { "eks", "get-token", "--cluster-name", "my cluster" }, facts);
        Assert.Equal(@"C:\Windows\system32\cmd.exe", launch.FileName);
        Assert.Equal(@"/d /s /c """"C:\Program Files\aws\aws.cmd"" eks get-token --cluster-name ""my cluster""""", launch.CommandLine);
    }

    [Fact]
    public void Windows_batch_plugin_arguments_cmd_would_expand_are_refused()
    {
        var facts = Windows(new());
        var ex = Assert.Throws<RayPSException>(() => ExecPluginRunner.PlanLaunch(@"C:\a\x.bat", new[] { "%PATH%" }, facts));
        Assert.Equal(ErrorIds.KubeConfigInvalid, ex.ErrorId);
    }

    [Fact]
    public void Windows_ps1_plugins_run_through_pwsh_with_the_argument_list()
    {
        var facts = Windows(new() { ["PATH"] = @"C:\pwsh" }, new HashSet<string> { @"C:\pwsh\pwsh.exe" });
        var launch = ExecPluginRunner.PlanLaunch(@"C:\p\token.ps1", new[] { "a b", "c" }, facts);
        Assert.Equal(@"C:\pwsh\pwsh.exe", launch.FileName);
        Assert.Null(launch.CommandLine);
        Assert.Equal(new[] { "-NoLogo", "-NoProfile", "-NonInteractive", "-File", @"C:\p\token.ps1", "a b", "c" }, launch.ArgumentList);
        var interactive = ExecPluginRunner.PlanLaunch(@"C:\p\token.ps1", new[] { "x" }, facts, interactive: true);
        Assert.Equal(new[] { "-NoLogo", "-NoProfile", "-File", @"C:\p\token.ps1", "x" }, interactive.ArgumentList);
    }

    [Fact]
    public void Windows_exe_plugins_run_directly_with_the_argument_list()
    {
        var launch = ExecPluginRunner.PlanLaunch(@"C:\p\kubelogin.exe", new[] { "get-token", "--server-id", "x y" }, Windows(new()));
        Assert.Equal(@"C:\p\kubelogin.exe", launch.FileName);
        Assert.Equal(new[] { "get-token", "--server-id", "x y" }, launch.ArgumentList);
    }

    [Fact]
    public void Unix_plugin_lookup_needs_an_executable_file_on_PATH()
    {
        var files = new HashSet<string> { "/usr/bin/aws", "/opt/x/aws" };
        var facts = new OsFacts
        {
            IsWindows = false,
            GetEnvironmentVariable = n => n == "PATH" ? "/opt/x:/usr/bin" : null,
            FileExists = files.Contains,
            IsExecutable = p => p == "/usr/bin/aws",
        };
        Assert.Equal("/usr/bin/aws", ExecPluginRunner.LookPath("aws", facts));
    }

    [Fact]
    public void Interactive_mode_follows_the_spec()
    {
        ExecPluginSpec Spec(string version, string mode) => new("p", Array.Empty<string>(), Array.Empty<KeyValuePair<string, string>>(), version, mode, null, false, null, "u");
        var terminal = new OsFacts { StdinIsTerminal = () => true };
        var pipe = new OsFacts { StdinIsTerminal = () => false };
        Assert.True(ExecPluginRunner.DecideInteractive(Spec(ExecPluginSpec.V1Beta1, ""), terminal));
        Assert.False(ExecPluginRunner.DecideInteractive(Spec(ExecPluginSpec.V1Beta1, ""), pipe));
        Assert.False(ExecPluginRunner.DecideInteractive(Spec(ExecPluginSpec.V1, "Never"), terminal));
        Assert.True(ExecPluginRunner.DecideInteractive(Spec(ExecPluginSpec.V1, "Always"), terminal));
        Assert.Equal(ErrorIds.KubeExecPluginFailed, Assert.Throws<RayPSException>(() => ExecPluginRunner.DecideInteractive(Spec(ExecPluginSpec.V1, "Always"), pipe)).ErrorId);
        Assert.Equal(ErrorIds.KubeConfigInvalid, Assert.Throws<RayPSException>(() => ExecPluginRunner.DecideInteractive(Spec(ExecPluginSpec.V1, ""), pipe)).ErrorId);
        Assert.Equal(ErrorIds.KubeConfigInvalid, Assert.Throws<RayPSException>(() => ExecPluginRunner.DecideInteractive(Spec("client.authentication.k8s.io/v2", "Never"), pipe)).ErrorId);
    }

    [Fact]
    public void Exec_info_carries_interactive_and_the_cluster_when_asked()
    {
        var cluster = new ExecClusterInfo("https://k:6443", "k.internal", false, "Q0E=", "http://proxy:3128", null);
        var spec = new ExecPluginSpec("p", Array.Empty<string>(), Array.Empty<KeyValuePair<string, string>>(), ExecPluginSpec.V1, "Never", null, true, cluster, "u");
        var info = System.Text.Json.Nodes.JsonNode.Parse(ExecPluginRunner.ExecInfo(spec, interactive: false))!;
        Assert.Equal("ExecCredential", (string?)info["kind"]);
        Assert.Equal(ExecPluginSpec.V1, (string?)info["apiVersion"]);
        Assert.False((bool)info["spec"]!["interactive"]!);
        Assert.Equal("https://k:6443", (string?)info["spec"]!["cluster"]!["server"]);
        Assert.Equal("Q0E=", (string?)info["spec"]!["cluster"]!["certificate-authority-data"]);
        Assert.Equal("http://proxy:3128", (string?)info["spec"]!["cluster"]!["proxy-url"]);
        var without = System.Text.Json.Nodes.JsonNode.Parse(ExecPluginRunner.ExecInfo(spec with { ProvideClusterInfo = false }, interactive: true))!;
        Assert.Null(without["spec"]!["cluster"]);
        Assert.True((bool)without["spec"]!["interactive"]!);
    }

    [Fact]
    public void Proxy_from_environment_follows_Go_rules()
    {
        var facts = Unix(new() { ["HTTPS_PROXY"] = "proxy.corp:3128", ["https_proxy"] = "http://ignored:1", ["NO_PROXY"] = "internal.example, .svc ,10.0.0.0/8,*.corp.example,api.example:8443" });
        var proxy = Assert.IsType<EnvironmentProxy>(KubeProxy.For(null, facts));
        Assert.Equal(new Uri("http://proxy.corp:3128"), proxy.GetProxy(new Uri("https://k8s.example:6443")));
        Assert.Equal(new Uri("http://proxy.corp:3128"), proxy.GetProxy(new Uri("wss://k8s.example:6443/api")));
        Assert.True(proxy.IsBypassed(new Uri("https://internal.example")));
        Assert.True(proxy.IsBypassed(new Uri("https://a.internal.example")));
        Assert.True(proxy.IsBypassed(new Uri("https://kubernetes.default.svc")));
        Assert.True(proxy.IsBypassed(new Uri("https://10.1.2.3:6443")));
        Assert.True(proxy.IsBypassed(new Uri("https://x.corp.example")));
        Assert.True(proxy.IsBypassed(new Uri("https://api.example:8443")));
        Assert.False(proxy.IsBypassed(new Uri("https://api.example:6443")));
        Assert.True(proxy.IsBypassed(new Uri("https://127.0.0.1:6443")));
        Assert.True(proxy.IsBypassed(new Uri("https://localhost:6443")));
        Assert.True(proxy.IsBypassed(new Uri("https://[::1]:6443")));
        // No HTTP_PROXY: plain http goes direct.
        Assert.True(proxy.IsBypassed(new Uri("http://k8s.example")));
    }

    [Fact]
    public void No_proxy_variables_means_direct_never_the_system_proxy()
    {
        Assert.Null(KubeProxy.For(null, Unix(new())));
        var cgi = Unix(new() { ["HTTP_PROXY"] = "http://p:1", ["REQUEST_METHOD"] = "GET" });
        Assert.Null(KubeProxy.For(null, cgi));
    }

    [Fact]
    public void Kubeconfig_proxy_url_applies_to_every_request_with_its_credentials()
    {
        var proxy = KubeProxy.For("socks5://user:p%40ss@socks.corp:1080", Unix(new() { ["NO_PROXY"] = "*" }))!;
        Assert.False(proxy.IsBypassed(new Uri("https://127.0.0.1:6443")));
        Assert.Equal(new Uri("socks5://socks.corp:1080"), proxy.GetProxy(new Uri("https://k8s.example")));
        var credential = proxy.Credentials!.GetCredential(new Uri("socks5://socks.corp:1080"), "Basic")!;
        Assert.Equal("user", credential.UserName);
        Assert.Equal("p@ss", credential.Password);
    }

    [Fact]
    public void A_bad_proxy_url_is_KubeConfigInvalid_without_its_password()
    {
        var ex = Assert.Throws<RayPSException>(() => KubeProxy.For("ftp://u:secret@p:21", Unix(new())));
        Assert.Equal(ErrorIds.KubeConfigInvalid, ex.ErrorId);
        Assert.DoesNotContain("secret", ex.Message);
    }
}
