using System.Diagnostics;
using System.Net;
using RayPS.Client.Tests.Support;
using RayPS.Errors;
using RayPS.Kube;
using RayPS.Operations;

namespace RayPS.Client.Tests.Kube;

/// <summary>Exec credential plugins run as real processes (shell scripts), and the credential cache around them.</summary>
public sealed class ExecCredentialTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rayps-exec-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly OsFacts NotATerminal = new() { StdinIsTerminal = () => false };

    /// <summary>A plugin that counts its runs, records its arguments one per line and its KUBERNETES_EXEC_INFO, and prints a credential.</summary>
    private string Plugin(string name, string token = "plugin-token", string? expiry = null, string extra = "")
    {
        var path = Path.Combine(_dir, name);
        var status = expiry is null ? $$"""{"token":"{{token}}"}""" : $$"""{"token":"{{token}}","expirationTimestamp":"{{expiry}}"}""";
        File.WriteAllText(path, $$"""
            #!/bin/sh
            dir=$(dirname "$0")
            echo run >> "$dir/{{name}}.runs"
            : > "$dir/{{name}}.args"
            for a in "$@"; do printf '%s\n' "$a" >> "$dir/{{name}}.args"; done
            printf '%s' "$KUBERNETES_EXEC_INFO" > "$dir/{{name}}.info"
            printf '%s' "$PLUGIN_GREETING" > "$dir/{{name}}.env"
            {{extra}}
            echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{{status}}}'
            """.Replace("\r", ""));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private int Runs(string name) => File.Exists(Path.Combine(_dir, name + ".runs")) ? File.ReadAllLines(Path.Combine(_dir, name + ".runs")).Length : 0;

    private static ExecPluginSpec Spec(string command, params string[] args) =>
        new(command, args, new[] { new KeyValuePair<string, string>("PLUGIN_GREETING", "hello there") }, ExecPluginSpec.V1, "Never", "Install it with: brew install x", false, null, "exec-user");

    [Fact]
    public async Task Plugin_gets_arguments_whole_its_env_and_exec_info_and_returns_the_credential()
    {
        var plugin = Plugin("p1", expiry: "2030-01-02T03:04:05Z");
        var credential = await ExecPluginRunner.RunAsync(Spec(plugin, "--cluster", "my cluster", "", "a'b\"c"), NotATerminal, CancellationToken.None);

        Assert.Equal("plugin-token", credential.Token);
        Assert.Equal(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero), credential.Expiry);
        Assert.Equal(new[] { "--cluster", "my cluster", "", "a'b\"c" }, File.ReadAllLines(Path.Combine(_dir, "p1.args")));
        Assert.Equal("hello there", File.ReadAllText(Path.Combine(_dir, "p1.env")));
        var info = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "p1.info")))!;
        Assert.Equal("ExecCredential", (string?)info["kind"]);
        Assert.False((bool)info["spec"]!["interactive"]!);
    }

    [Fact]
    public async Task A_failing_plugin_quotes_its_stderr_and_exit_code_but_never_its_output()
    {
        var plugin = Plugin("p2", token: "leaked-token", extra: "echo 'error: you must be logged in (run: login)' >&2; echo '{\"token\":\"leaked-token\"}'; exit 3");
        var ex = await Assert.ThrowsAsync<RayPSException>(() => ExecPluginRunner.RunAsync(Spec(plugin), NotATerminal, CancellationToken.None));
        Assert.Equal(ErrorIds.KubeExecPluginFailed, ex.ErrorId);
        Assert.Equal(RayErrorCategory.AuthenticationError, ex.Category);
        Assert.Contains("exit code 3", ex.Message);
        Assert.Contains("you must be logged in", ex.Message);
        Assert.DoesNotContain("leaked-token", ex.Message);
    }

    [Fact]
    public async Task A_missing_plugin_is_KubeExecPluginNotFound_with_the_install_hint()
    {
        var ex = await Assert.ThrowsAsync<RayPSException>(() => ExecPluginRunner.RunAsync(Spec("rayps-no-such-plugin-xyz"), NotATerminal, CancellationToken.None));
        Assert.Equal(ErrorIds.KubeExecPluginNotFound, ex.ErrorId);
        Assert.Contains("brew install x", ex.Message);
    }

    [Theory]
    [InlineData("""{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"t"}}""", "apiVersion")]
    [InlineData("""{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"}""", "no status")]
    [InlineData("""{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{}}""", "neither a token")]
    [InlineData("""{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientCertificateData":"x"}}""", "only one of")]
    [InlineData("not json secret-xyz", "not JSON")]
    public void Answers_against_the_spec_are_refused(string output, string why)
    {
        var ex = Assert.Throws<RayPSException>(() => ExecPluginRunner.Parse(Spec("p"), "p", output));
        Assert.Equal(ErrorIds.KubeExecPluginFailed, ex.ErrorId);
        Assert.Contains(why, ex.Message);
        Assert.DoesNotContain("secret-xyz", ex.Message);
    }

    [Fact]
    public async Task Cancelling_kills_the_plugin_and_its_children()
    {
        var plugin = Plugin("p3", extra: "sleep 300 & echo $! > \"$dir/p3.child\"; echo $$ > \"$dir/p3.pid\"; wait");
        using var cts = new CancellationTokenSource();
        var run = ExecPluginRunner.RunAsync(Spec(plugin), NotATerminal, cts.Token);
        var childFile = Path.Combine(_dir, "p3.child");
        var pidFile = Path.Combine(_dir, "p3.pid");
        while (!File.Exists(childFile) || File.ReadAllText(childFile).Trim().Length == 0 || !File.Exists(pidFile) || File.ReadAllText(pidFile).Trim().Length == 0)
        {
            await Task.Delay(20);
        }
        var child = int.Parse(File.ReadAllText(childFile).Trim());
        var parent = int.Parse(File.ReadAllText(Path.Combine(_dir, "p3.pid")).Trim());
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.False(await StaysAlive(child), "the plugin's child process survived the cancellation");
        Assert.False(await StaysAlive(parent), "the plugin survived the cancellation");
    }

    /// <summary>SIGKILL is delivered asynchronously: allow a killed process a moment to die before calling it a survivor.</summary>
    private static async Task<bool> StaysAlive(int pid)
    {
        for (var i = 0; i < 200 && IsAlive(pid); i++)
        {
            await Task.Delay(25);
        }
        return IsAlive(pid);
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            if (p.HasExited) return false;
            // A killed child not yet reaped by its (also killed) parent is a zombie: gone for our purposes.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException)
        {
            return false;
        }
    }

    [Fact]
    public async Task The_credential_is_reused_until_its_expiry_and_after_it_fetched_again()
    {
        var now = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        var runs = 0;
        var source = new ExecCredentialSource(_ =>
        {
            runs++;
            return Task.FromResult(new ExecCredential("t" + runs, null, null, now.AddMinutes(15)));
        }, () => now);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("t1", (await source.GetAsync(CancellationToken.None)).Token);
        }
        Assert.Equal(1, runs);
        now = now.AddMinutes(15);
        Assert.Equal("t2", (await source.GetAsync(CancellationToken.None)).Token);
        Assert.Equal(2, source.Runs);
    }

    [Fact]
    public async Task A_client_certificate_credential_is_offered_with_its_key()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=exec-user", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var source = new ExecCredentialSource(_ => Task.FromResult(new ExecCredential(null, cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem(), null)));

        Assert.Null(source.CurrentCertificate);
        var credential = await source.GetAsync(CancellationToken.None);
        using var request2 = new HttpRequestMessage(HttpMethod.Get, "https://k.example/");
        ExecCredentialSource.Apply(request2, credential);

        Assert.Null(request2.Headers.Authorization);
        Assert.Equal("CN=exec-user", source.CurrentCertificate!.Subject);
        Assert.True(source.CurrentCertificate.HasPrivateKey);
    }

    [Fact]
    public async Task Concurrent_callers_share_one_run()
    {
        var release = new TaskCompletionSource();
        var source = new ExecCredentialSource(async _ =>
        {
            await release.Task;
            return new ExecCredential("t", null, null, null);
        });
        var calls = Enumerable.Range(0, 8).Select(_ => source.GetAsync(CancellationToken.None)).ToList();
        release.SetResult();
        await Task.WhenAll(calls);
        Assert.Equal(1, source.Runs);
    }

    [Fact]
    public async Task A_401_drops_the_credential_fetches_a_new_one_and_resends_once()
    {
        var runs = 0;
        var sent = new List<string?>();
        var source = new ExecCredentialSource(_ => Task.FromResult(new ExecCredential(++runs == 1 ? "stale" : "fresh", null, null, null)));
        var server = new FakeApiServer
        {
            Respond = (request, _) =>
            {
                sent.Add(request.Headers.Authorization?.Parameter);
                return request.Headers.Authorization?.Parameter == "fresh"
                    ? FakeApiServer.Json(200, """{"kind":"RayClusterList","apiVersion":"ray.io/v1","metadata":{},"items":[]}""")
                    : FakeApiServer.Json(401, """{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401}""");
            },
        };
        var connection = ExecConnection(source, server);

        Assert.Empty(await RayClusterOperations.ListAsync(connection, "default", CancellationToken.None));
        Assert.Empty(await RayClusterOperations.ListAsync(connection, "default", CancellationToken.None));
        Assert.Equal(2, runs);
        Assert.Equal(new[] { "stale", "fresh", "fresh" }, sent);
    }

    [Fact]
    public async Task A_credential_already_expired_serves_the_request_it_was_fetched_for_and_runs_once_per_request()
    {
        var source = new ExecCredentialSource(_ => Task.FromResult(new ExecCredential("t", null, null, DateTimeOffset.UtcNow.AddHours(-1))));
        var server = new FakeApiServer { Respond = (_, _) => FakeApiServer.Json(200, """{"kind":"RayClusterList","apiVersion":"ray.io/v1","metadata":{},"items":[]}""") };
        var connection = ExecConnection(source, server);

        for (var i = 0; i < 3; i++)
        {
            await RayClusterOperations.ListAsync(connection, "default", CancellationToken.None);
        }
        Assert.Equal(3, server.Requests.Count);
        Assert.Equal(3, source.Runs);
    }

    [Fact]
    public async Task A_plugin_slower_than_the_request_timeout_is_waited_for()
    {
        // A browser or device-code login takes longer than any request may: the timeout starts after the credential.
        var source = new ExecCredentialSource(async _ =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(600));
            return new ExecCredential("slow-login", null, null, null);
        });
        var server = new FakeApiServer { Respond = (_, _) => FakeApiServer.Json(200, """{"kind":"RayClusterList","apiVersion":"ray.io/v1","metadata":{},"items":[]}""") };
        var connection = ExecConnection(source, server);
        connection.Api.RequestTimeout = TimeSpan.FromMilliseconds(200);

        Assert.Empty(await RayClusterOperations.ListAsync(connection, "default", CancellationToken.None));
        Assert.Equal("slow-login", Assert.Single(server.Requests).Headers.Authorization?.Parameter);
    }

    [Fact]
    public async Task A_401_the_plugin_cannot_fix_is_KubeApiUnauthorized()
    {
        var source = new ExecCredentialSource(_ => Task.FromResult(new ExecCredential("same", null, null, null)));
        var server = new FakeApiServer { Respond = (_, _) => FakeApiServer.Json(401, """{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401}""") };
        var ex = await Assert.ThrowsAsync<RayPSException>(() => RayClusterOperations.ListAsync(ExecConnection(source, server), "default", CancellationToken.None));
        Assert.Equal(ErrorIds.KubeApiUnauthorized, ex.ErrorId);
        Assert.Equal(2, source.Runs);
        Assert.Single(server.Requests); // the plugin gave the same token again: resending it would only repeat the 401
    }

    private static KubeConnection ExecConnection(ExecCredentialSource source, FakeApiServer server)
    {
        var config = new k8s.KubernetesClientConfiguration { Host = "https://fake.example:6443", Namespace = "default" };
        var target = new KubeTarget(config, "exec-context", "exec-context", null, null);
        return KubeConnection.Create(target, source, new RetryHandler { BaseDelay = TimeSpan.FromMilliseconds(1) }, server);
    }

    private string KubeConfig(string name, string command, string args, string? caPath = null, string interactiveMode = "Never") =>
        Write(name, $"""
            apiVersion: v1
            kind: Config
            current-context: ctx
            clusters:
            - name: c
              cluster:
                server: https://127.0.0.1:1
                {(caPath is null ? "insecure-skip-tls-verify: true" : "certificate-authority: " + caPath)}
            users:
            - name: u
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: {command}
                  args: {args}
                  interactiveMode: {interactiveMode}
                  env:
                  - name: PLUGIN_GREETING
                    value: from kubeconfig
            contexts:
            - name: ctx
              context: {"{"}cluster: c, user: u{"}"}
            """);

    private string Write(string relative, string text)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Preparing_a_context_does_not_run_the_plugin_and_resolves_a_relative_command_against_its_kubeconfig()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "cfg", "bin"));
        var plugin = Plugin("p4");
        File.Move(plugin, Path.Combine(_dir, "cfg", "bin", "p4"));
        var kubeconfig = KubeConfig(Path.Combine("cfg", "config"), "./bin/p4", "[\"--name\", \"two words\"]");

        var target = KubeConfigLoader.Prepare(new KubeConnectionOptions(kubeconfig), OsFacts.Current);

        Assert.Equal(0, Runs("p4"));
        Assert.NotNull(target.Exec);
        Assert.Equal(Path.Combine(_dir, "cfg", "bin", "p4"), target.Exec!.Command);
        Assert.Equal(new[] { "--name", "two words" }, target.Exec.Arguments);
        Assert.Equal("Never", target.Exec.InteractiveMode);
        Assert.Equal("u", target.Exec.UserName);
        Assert.Null(target.Config.AccessToken);
    }

    [Fact]
    public async Task Merged_kubeconfigs_resolve_relative_certificate_paths_against_their_own_folder()
    {
        var caA = WriteCa(Path.Combine("a", "ca.crt"), "CN=ca-a");
        var caB = WriteCa(Path.Combine("b", "certs", "ca.crt"), "CN=ca-b");
        var a = Write(Path.Combine("a", "config"), TwoFileConfig("alpha", "ca.crt", current: true));
        var b = Write(Path.Combine("b", "config"), TwoFileConfig("beta", Path.Combine("certs", "ca.crt"), current: false));
        var list = a + Path.PathSeparator + b;

        var alpha = KubeConfigLoader.Prepare(new KubeConnectionOptions(list), OsFacts.Current);
        var beta = KubeConfigLoader.Prepare(new KubeConnectionOptions(list, "beta"), OsFacts.Current);

        Assert.Equal("CN=ca-a", Assert.Single(alpha.Config.SslCaCerts!).Subject);
        Assert.Equal("CN=ca-b", Assert.Single(beta.Config.SslCaCerts!).Subject);
        await Task.CompletedTask;
        Assert.True(File.Exists(caA) && File.Exists(caB));
    }

    [Fact]
    public void Merged_kubeconfigs_resolve_relative_client_certificate_and_key_against_their_own_folder()
    {
        var first = Write(Path.Combine("one", "config"), TwoFileConfig("alpha", Path.Combine("..", "one-ca.crt"), current: true));
        WriteCa("one-ca.crt", "CN=one");
        var second = Write(Path.Combine("two", "config"), """
            apiVersion: v1
            kind: Config
            clusters:
            - name: c2
              cluster: {server: "https://two.example:6443", insecure-skip-tls-verify: true}
            users:
            - name: u2
              user: {client-certificate: pki/client.crt, client-key: pki/client.key}
            contexts:
            - name: two
              context: {cluster: c2, user: u2}
            """);
        Write(Path.Combine("two", "pki", "client.crt"), "unused");
        Write(Path.Combine("two", "pki", "client.key"), "unused");

        var target = KubeConfigLoader.Prepare(new KubeConnectionOptions(first + Path.PathSeparator + second, "two"), OsFacts.Current);

        Assert.Equal(Path.Combine(_dir, "two", "pki", "client.crt"), target.Config.ClientCertificateFilePath);
        Assert.Equal(Path.Combine(_dir, "two", "pki", "client.key"), target.Config.ClientKeyFilePath);
    }

    private static string TwoFileConfig(string name, string ca, bool current) => $"""
        apiVersion: v1
        kind: Config
        {(current ? "current-context: " + name : "")}
        clusters:
        - name: {name}-cluster
          cluster:
            server: https://{name}.example:6443
            certificate-authority: {ca}
        users:
        - name: {name}-user
          user:
            token: t-{name}
        contexts:
        - name: {name}
          context:
            cluster: {name}-cluster
            user: {name}-user
        """;

    private string WriteCa(string relative, string subject)
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest(subject, key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension(true, false, 0, true));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return Write(relative, cert.ExportCertificatePem());
    }

    [Fact]
    public void Kubeconfig_proxy_url_and_exec_extension_are_read()
    {
        var path = Write("proxied", """
            apiVersion: v1
            kind: Config
            current-context: ctx
            clusters:
            - name: c
              cluster:
                server: https://k.example:6443
                insecure-skip-tls-verify: true
                proxy-url: http://proxy.corp:3128
                extensions:
                - name: client.authentication.k8s.io/exec
                  extension:
                    audience: rayps
            users:
            - name: u
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: get-token
                  provideClusterInfo: true
            contexts:
            - name: ctx
              context: {cluster: c, user: u}
            """);
        var target = KubeConfigLoader.Prepare(new KubeConnectionOptions(path), OsFacts.Current);
        Assert.Equal(new Uri("http://proxy.corp:3128"), target.Proxy!.GetProxy(new Uri("https://k.example:6443")));
        Assert.False(target.Proxy.IsBypassed(new Uri("https://127.0.0.1:6443")));
        Assert.Equal("", target.Exec!.InteractiveMode);
        Assert.Equal("rayps", (string?)target.Exec.Cluster!.Config!["audience"]);
        Assert.Equal("http://proxy.corp:3128", target.Exec.Cluster.ProxyUrl);
        Assert.Equal("https://k.example:6443", target.Exec.Cluster.Server);
    }
}
