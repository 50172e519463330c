using RayPS.Dashboard;
using RayPS.Errors;

namespace RayPS.Client.Tests.Dashboard;

public sealed class HeadPodTrackerTests
{
    private static readonly DashboardTarget PodA = new("default", "head-a", "uid-a", 8265, 10001);
    private static readonly DashboardTarget PodB = new("default", "head-b", "uid-b", 8265, 10001);

    private static readonly DashboardSessionOptions Options = new()
    {
        ClusterName = "ray",
        Namespace = "default",
        MaxReconnectAttempts = 3,
        ReconnectBaseDelay = TimeSpan.FromMilliseconds(1),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(5),
    };

    private static RayPSException Gone() => new(ErrorIds.DashboardTargetNotReady, RayErrorCategory.ResourceUnavailable, "gone") { StatusCode = 404 };

    [Fact]
    public async Task A_failure_re_resolves_and_connections_get_the_new_pod()
    {
        var notices = new List<string>();
        var tracker = new HeadPodTracker(PodA, _ => Task.FromResult(PodB), Options, n => { lock (notices) notices.Add(n); });

        tracker.ReportFailure(PodA, Gone());
        var next = await tracker.GetTargetAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Same(PodB, next);
        Assert.Same(PodB, tracker.Current);
        Assert.Equal(1, tracker.Reconnects);
        Assert.False(tracker.IsReconnecting);
        Assert.Contains(notices, n => n.StartsWith("Lost the port-forward to head pod 'default/head-a'"));
        Assert.Contains(notices, n => n == "Head pod 'default/head-a' was replaced: forwarding to 'default/head-b' now.");
        await tracker.StopAsync();
    }

    [Fact]
    public async Task Stale_reports_about_a_pod_already_left_are_ignored()
    {
        var resolves = 0;
        var tracker = new HeadPodTracker(PodA, _ => { Interlocked.Increment(ref resolves); return Task.FromResult(PodB); }, Options, _ => { });
        tracker.ReportFailure(PodA, Gone());
        await tracker.GetTargetAsync(CancellationToken.None);

        tracker.ReportFailure(PodA, Gone());

        Assert.False(tracker.IsReconnecting);
        Assert.Equal(1, resolves);
        await tracker.StopAsync();
    }

    [Fact]
    public async Task Gives_up_after_the_budget_with_the_last_error_and_says_so()
    {
        var notices = new List<string>();
        var attempts = 0;
        var tracker = new HeadPodTracker(PodA, _ => { attempts++; throw Gone(); }, Options, n => { lock (notices) notices.Add(n); });
        var failed = new TaskCompletionSource<RayPSException>();
        tracker.Failed += e => failed.TrySetResult(e);

        tracker.ReportFailure(PodA, Gone());
        var error = await failed.Task.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(ErrorIds.DashboardTargetNotReady, error.ErrorId);
        Assert.Same(error, tracker.Failure);
        Assert.Equal(3, attempts); // the first failure counts, then attempts 2..3; the 4th crosses MaxReconnectAttempts
        await Assert.ThrowsAsync<RayPSException>(() => tracker.GetTargetAsync(CancellationToken.None));
        lock (notices)
        {
            Assert.Contains(notices, n => n.StartsWith("Gave up forwarding to RayCluster 'ray' after 3 failed attempts"));
        }
        await tracker.StopAsync();
    }

    [Fact]
    public async Task Forbidden_fails_at_once_without_retrying()
    {
        var resolves = 0;
        var tracker = new HeadPodTracker(PodA, _ => { resolves++; return Task.FromResult(PodB); }, Options, _ => { });
        var forbidden = new RayPSException(ErrorIds.KubeApiForbidden, RayErrorCategory.PermissionDenied, "no") { StatusCode = 403 };

        tracker.ReportFailure(PodA, forbidden);

        Assert.Same(forbidden, tracker.Failure);
        Assert.Equal(0, resolves);
        await tracker.StopAsync();
    }

    [Fact]
    public async Task A_successful_transfer_resets_the_budget()
    {
        var tracker = new HeadPodTracker(PodA, _ => Task.FromResult(PodA), Options with { MaxReconnectAttempts = 1 }, _ => { });

        for (var i = 0; i < 5; i++)
        {
            tracker.ReportFailure(PodA, Gone());
            await tracker.GetTargetAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
            tracker.ReportSuccess();
        }

        Assert.Null(tracker.Failure);
        Assert.Equal(5, tracker.Reconnects);
        await tracker.StopAsync();
    }

    [Fact]
    public async Task Without_successful_transfers_repeated_failures_end_the_session()
    {
        // The pod resolves and its port-forward opens, but every real connection fails (e.g. the dashboard refuses):
        // the tracker must not flap between Running and Reconnecting forever.
        var tracker = new HeadPodTracker(PodA, _ => Task.FromResult(PodA), Options with { MaxReconnectAttempts = 2 }, _ => { });

        for (var i = 0; i < 3 && tracker.Failure is null; i++)
        {
            tracker.ReportFailure(tracker.Current, Gone());
            try
            {
                await tracker.GetTargetAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (RayPSException)
            {
            }
        }

        Assert.NotNull(tracker.Failure);
        await tracker.StopAsync();
    }

    [Fact]
    public async Task Stop_cancels_waiting_connections_and_ends_the_loop()
    {
        var release = new TaskCompletionSource<DashboardTarget>();
        var tracker = new HeadPodTracker(PodA, ct => release.Task.WaitAsync(ct), Options, _ => { });
        tracker.ReportFailure(PodA, Gone());
        var waiting = tracker.GetTargetAsync(CancellationToken.None);

        await tracker.StopAsync().WaitAsync(TimeSpan.FromSeconds(5));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => tracker.GetTargetAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_suspect_drop_on_a_healthy_pod_changes_nothing()
    {
        var notices = new List<string>();
        var checks = 0;
        var tracker = new HeadPodTracker(PodA, _ => { Interlocked.Increment(ref checks); return Task.FromResult(PodA with { }); }, Options, notices.Add);

        tracker.ReportSuspect(PodA, Gone());
        await WaitForAsync(() => Volatile.Read(ref checks) == 1);
        await Task.Delay(50);
        tracker.ReportSuspect(PodA, Gone()); // within the cooldown

        Assert.Equal(1, Volatile.Read(ref checks));
        Assert.Same(PodA, tracker.Current);
        Assert.False(tracker.IsReconnecting);
        Assert.Equal(0, tracker.Reconnects);
        Assert.Empty(notices);
        await tracker.StopAsync();
    }

    [Fact]
    public async Task A_suspect_drop_that_finds_another_pod_moves_to_it_and_says_so()
    {
        var notices = new List<string>();
        var tracker = new HeadPodTracker(PodA, _ => Task.FromResult(PodB), Options, n => { lock (notices) notices.Add(n); });

        tracker.ReportSuspect(PodA, Gone());
        // The switch is published before the notice is said: wait for both.
        await WaitForAsync(() => { lock (notices) { return notices.Count > 0; } });
        Assert.Same(PodB, tracker.Current);

        Assert.Equal(1, tracker.Reconnects);
        lock (notices)
        {
            Assert.Equal("Head pod 'default/head-a' was replaced: forwarding to 'default/head-b' now.", Assert.Single(notices));
        }
        await tracker.StopAsync();
    }

    [Fact]
    public async Task A_suspect_drop_whose_check_fails_starts_reconnecting()
    {
        var calls = 0;
        var tracker = new HeadPodTracker(PodA, _ => Interlocked.Increment(ref calls) == 1 ? throw Gone() : Task.FromResult(PodB), Options, _ => { });

        tracker.ReportSuspect(PodA, Gone());
        var next = await WaitForTargetAsync(tracker, PodB);

        Assert.Same(PodB, next);
        Assert.Equal(ErrorIds.DashboardTargetNotReady, tracker.LastError?.ErrorId);
        await tracker.StopAsync();
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(5);
        }
    }

    private static async Task<DashboardTarget> WaitForTargetAsync(HeadPodTracker tracker, DashboardTarget expected)
    {
        await WaitForAsync(() => ReferenceEquals(tracker.Current, expected) && !tracker.IsReconnecting);
        return await tracker.GetTargetAsync(CancellationToken.None);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(4, 4)]
    [InlineData(5, 5)]
    [InlineData(50, 5)]
    public void Backoff_is_immediate_then_doubles_up_to_the_cap(int attempt, int expectedMs)
    {
        var options = Options with { ReconnectBaseDelay = TimeSpan.FromMilliseconds(1), ReconnectMaxDelay = TimeSpan.FromMilliseconds(5) };
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), options.ReconnectDelay(attempt));
    }

    [Fact]
    public void Default_budget_spans_about_eighty_seconds()
    {
        var options = new DashboardSessionOptions { ClusterName = "ray", Namespace = "default" };
        var total = Enumerable.Range(1, options.MaxReconnectAttempts).Sum(a => options.ReconnectDelay(a).TotalSeconds);
        Assert.InRange(total, 60, 100);
    }
}
