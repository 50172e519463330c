using RayPS.Dashboard;
using RayPS.Errors;

namespace RayPS.Client.Tests.Dashboard;

/// <summary>
/// The tracker runs its reconnects and checks on the thread pool; every test waits for a condition (a notice, a
/// switch, a finished task) with a generous deadline that only bounds a failing run, never for a fixed time.
/// </summary>
public sealed class HeadPodTrackerTests
{
    private static readonly DashboardTarget PodA = new("default", "head-a", "uid-a", 8265, 10001);
    private static readonly DashboardTarget PodB = new("default", "head-b", "uid-b", 8265, 10001);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static readonly DashboardSessionOptions Options = new()
    {
        ClusterName = "ray",
        Namespace = "default",
        MaxReconnectAttempts = 3,
        ReconnectBaseDelay = TimeSpan.FromMilliseconds(1),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(5),
    };

    private static RayPSException Gone() => new(ErrorIds.DashboardTargetNotReady, RayErrorCategory.ResourceUnavailable, "gone") { StatusCode = 404 };

    private static RayPSException Unavailable() => new(ErrorIds.KubeApiServerError, RayErrorCategory.ConnectionError, "HTTP 503 (5 attempts).") { StatusCode = 503 };

    /// <summary>Collects notices thread-safely, in the order they were delivered.</summary>
    private sealed class Notices
    {
        private readonly List<string> _lines = new();

        public void Add(string line)
        {
            lock (_lines) _lines.Add(line);
        }

        public string[] Snapshot()
        {
            lock (_lines) return _lines.ToArray();
        }

        public Task<string[]> WaitForCountAsync(int count) => WaitForValueAsync(() => Snapshot() is { } s && s.Length >= count ? s : null);
    }

    [Fact]
    public async Task A_failure_re_resolves_and_connections_get_the_new_pod()
    {
        var notices = new Notices();
        var tracker = new HeadPodTracker(PodA, _ => Task.FromResult(PodB), Options, notices.Add);

        tracker.ReportFailure(PodA, Gone());
        var next = await tracker.GetTargetAsync(CancellationToken.None).WaitAsync(Deadline);

        Assert.Same(PodB, next);
        Assert.Same(PodB, tracker.Current);
        Assert.Equal(1, tracker.Reconnects);
        Assert.False(tracker.IsReconnecting);
        var lines = await notices.WaitForCountAsync(2);
        Assert.StartsWith("Lost the port-forward to head pod 'default/head-a': gone Reconnecting (up to 3 attempts).", lines[0]);
        Assert.Equal("Head pod 'default/head-a' was replaced: forwarding to 'default/head-b' now.", lines[1]);
        await tracker.StopAsync();
    }

    [Fact]
    public async Task Lost_is_said_before_Reconnected_even_when_the_reconnect_finishes_first()
    {
        // The "Lost" notice is held up in its handler until the reconnect has completed: the "Reconnected" notice that
        // the loop decided meanwhile must still be delivered after it, never beside or before it.
        var order = new List<string>();
        HeadPodTracker? tracker = null;
        var concurrent = 0;
        var overlapped = false;
        void Handler(string line)
        {
            if (Interlocked.Increment(ref concurrent) > 1)
            {
                overlapped = true;
            }
            if (line.StartsWith("Lost", StringComparison.Ordinal))
            {
                Assert.True(SpinWait.SpinUntil(() => tracker!.ReconnectTask.IsCompleted && !tracker.IsReconnecting, Deadline));
            }
            lock (order) order.Add(line);
            Interlocked.Decrement(ref concurrent);
        }
        tracker = new HeadPodTracker(PodA, _ => Task.FromResult(PodA with { }), Options, Handler);

        tracker.ReportFailure(PodA, Gone());

        var lines = await WaitForValueAsync(() => { lock (order) return order.Count >= 2 ? order.ToArray() : null; });
        Assert.StartsWith("Lost the port-forward to head pod 'default/head-a'", lines[0]);
        Assert.Equal("Reconnected to head pod 'default/head-a' after 1 attempt.", lines[1]);
        Assert.False(overlapped, "notices are delivered one at a time");
        await tracker.StopAsync();
    }

    [Fact]
    public async Task A_notice_listener_that_throws_does_not_strand_waiting_connections()
    {
        var tracker = new HeadPodTracker(PodA, _ => Task.FromResult(PodB), Options, _ => throw new InvalidOperationException("listener gone"));

        tracker.ReportFailure(PodA, Gone());

        Assert.Same(PodB, await tracker.GetTargetAsync(CancellationToken.None).WaitAsync(Deadline));
        await tracker.StopAsync();
    }

    [Fact]
    public async Task Stale_reports_about_a_pod_already_left_are_ignored()
    {
        var resolves = 0;
        var tracker = new HeadPodTracker(PodA, _ => { Interlocked.Increment(ref resolves); return Task.FromResult(PodB); }, Options, _ => { });
        tracker.ReportFailure(PodA, Gone());
        await tracker.GetTargetAsync(CancellationToken.None).WaitAsync(Deadline);

        tracker.ReportFailure(PodA, Gone());

        Assert.False(tracker.IsReconnecting);
        Assert.Equal(1, Volatile.Read(ref resolves));
        await tracker.StopAsync();
    }

    [Fact]
    public async Task Gives_up_after_the_budget_with_the_last_error_and_says_so()
    {
        var notices = new Notices();
        var attempts = 0;
        var tracker = new HeadPodTracker(PodA, _ => { Interlocked.Increment(ref attempts); throw Gone(); }, Options, notices.Add);
        var failed = new TaskCompletionSource<RayPSException>(TaskCreationOptions.RunContinuationsAsynchronously);
        tracker.Failed += e => failed.TrySetResult(e);

        tracker.ReportFailure(PodA, Gone());
        var error = await failed.Task.WaitAsync(Deadline);

        Assert.Equal(ErrorIds.DashboardTargetNotReady, error.ErrorId);
        Assert.Same(error, tracker.Failure);
        Assert.Equal(3, Volatile.Read(ref attempts)); // MaxReconnectAttempts re-resolves, each failed
        await Assert.ThrowsAsync<RayPSException>(() => tracker.GetTargetAsync(CancellationToken.None));
        // Failed is raised after the last notice was delivered.
        var lines = notices.Snapshot();
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("Lost the port-forward to head pod 'default/head-a': gone Reconnecting (up to 3 attempts).", lines[0]);
        Assert.StartsWith("Gave up forwarding to RayCluster 'ray' after 3 failed attempts to reconnect: gone", lines[1]);
        await tracker.StopAsync();
    }

    [Fact]
    public async Task Counts_are_coherent_a_reconnect_after_failures_then_a_new_loss_gets_its_own_budget()
    {
        // Re-resolves: fail, fail, succeed (reconnected after 3 attempts); then, after a new loss: fail, fail, succeed
        // again. Never "Reconnected after 3 attempts" followed by "Gave up after 3 failed attempts".
        var notices = new Notices();
        var calls = 0;
        var tracker = new HeadPodTracker(PodA, _ => Interlocked.Increment(ref calls) % 3 == 0 ? Task.FromResult(PodA) : throw Gone(), Options, notices.Add);

        tracker.ReportFailure(PodA, Gone());
        await tracker.GetTargetAsync(CancellationToken.None).WaitAsync(Deadline);
        tracker.ReportSuccess();
        tracker.ReportFailure(PodA, Gone());
        await tracker.GetTargetAsync(CancellationToken.None).WaitAsync(Deadline);

        var lines = await notices.WaitForCountAsync(4);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("Lost the port-forward", lines[0]);
        Assert.Equal("Reconnected to head pod 'default/head-a' after 3 attempts.", lines[1]);
        Assert.StartsWith("Lost the port-forward", lines[2]);
        Assert.Equal("Reconnected to head pod 'default/head-a' after 3 attempts.", lines[3]);
        Assert.Null(tracker.Failure);
        Assert.Equal(2, tracker.Reconnects);
        await tracker.StopAsync();
    }

    [Fact]
    public async Task A_loss_after_a_hard_won_reconnect_says_Lost_before_any_Gave_up()
    {
        var notices = new Notices();
        var calls = 0;
        // Fail, fail, succeed; from then on every re-resolve fails.
        var tracker = new HeadPodTracker(PodA, _ => Interlocked.Increment(ref calls) == 3 ? Task.FromResult(PodA) : throw Gone(), Options, notices.Add);
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        tracker.Failed += _ => failed.TrySetResult();

        tracker.ReportFailure(PodA, Gone());
        var current = await tracker.GetTargetAsync(CancellationToken.None).WaitAsync(Deadline);
        tracker.ReportFailure(current, Gone());
        await failed.Task.WaitAsync(Deadline);

        Assert.Equal(
            [
                "Lost",
                "Reconnected to head pod 'default/head-a' after 3 attempts.",
                "Lost",
                "Gave up forwarding to RayCluster 'ray' after 3 failed attempts to reconnect: gone",
            ],
            notices.Snapshot().Select(l => l.StartsWith("Lost", StringComparison.Ordinal) ? "Lost" : l.Split(" The local port")[0]));
        Assert.Equal(6, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task Forbidden_fails_at_once_without_retrying()
    {
        var resolves = 0;
        var notices = new Notices();
        var tracker = new HeadPodTracker(PodA, _ => { Interlocked.Increment(ref resolves); return Task.FromResult(PodB); }, Options, notices.Add);
        var forbidden = new RayPSException(ErrorIds.KubeApiForbidden, RayErrorCategory.PermissionDenied, "no.") { StatusCode = 403 };

        tracker.ReportFailure(PodA, forbidden);

        Assert.Same(forbidden, tracker.Failure);
        Assert.Equal(0, Volatile.Read(ref resolves));
        Assert.StartsWith("Gave up forwarding to RayCluster 'ray': no.", Assert.Single(notices.Snapshot()));
        await tracker.StopAsync();
    }

    [Fact]
    public async Task A_successful_transfer_resets_the_budget()
    {
        var tracker = new HeadPodTracker(PodA, _ => Task.FromResult(PodA), Options with { MaxReconnectAttempts = 1 }, _ => { });

        for (var i = 0; i < 5; i++)
        {
            tracker.ReportFailure(tracker.Current, Gone());
            await tracker.GetTargetAsync(CancellationToken.None).WaitAsync(Deadline);
            tracker.ReportSuccess();
        }

        Assert.Null(tracker.Failure);
        Assert.Equal(5, tracker.Reconnects);
        await tracker.StopAsync();
    }

    [Fact]
    public async Task Without_successful_transfers_repeated_reconnects_end_the_session()
    {
        // The pod resolves and its port-forward opens, but every real connection fails (e.g. the dashboard refuses):
        // the tracker must not flap between Running and Reconnecting forever.
        var notices = new Notices();
        var tracker = new HeadPodTracker(PodA, _ => Task.FromResult(PodA), Options with { MaxReconnectAttempts = 2 }, notices.Add);

        for (var i = 0; i < 2; i++)
        {
            tracker.ReportFailure(tracker.Current, Gone());
            await tracker.GetTargetAsync(CancellationToken.None).WaitAsync(Deadline);
        }
        Assert.Null(tracker.Failure);
        tracker.ReportFailure(tracker.Current, Gone());

        Assert.NotNull(tracker.Failure);
        await Assert.ThrowsAsync<RayPSException>(() => tracker.GetTargetAsync(CancellationToken.None));
        var last = (await notices.WaitForCountAsync(5))[^1];
        Assert.StartsWith("Gave up forwarding to RayCluster 'ray': it reconnected 2 time(s) in a row, but no connection got an answer from the pod in between. Last error: gone", last);
        await tracker.StopAsync();
    }

    [Fact]
    public async Task Stop_cancels_waiting_connections_and_ends_the_loop()
    {
        var release = new TaskCompletionSource<DashboardTarget>();
        var tracker = new HeadPodTracker(PodA, ct => release.Task.WaitAsync(ct), Options, _ => { });
        tracker.ReportFailure(PodA, Gone());
        var waiting = tracker.GetTargetAsync(CancellationToken.None);

        await tracker.StopAsync().WaitAsync(Deadline);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => tracker.GetTargetAsync(CancellationToken.None));
        Assert.True(tracker.ReconnectTask.IsCompleted);
        tracker.ReportFailure(PodA, Gone()); // after Stop: ignored, no new loop
        Assert.True(tracker.ReconnectTask.IsCompleted);
        Assert.False(tracker.IsReconnecting);
    }

    [Fact]
    public async Task Stop_racing_a_report_never_leaves_a_loop_running()
    {
        for (var i = 0; i < 50; i++)
        {
            var tracker = new HeadPodTracker(PodA, async ct =>
            {
                await Task.Delay(Timeout.Infinite, ct);
                return PodA;
            }, Options, _ => { });
            var report = Task.Run(() => tracker.ReportFailure(PodA, Gone()));
            var stop = Task.Run(tracker.StopAsync);
            await Task.WhenAll(report, stop).WaitAsync(Deadline);
            await tracker.StopAsync();

            Assert.True(tracker.ReconnectTask.IsCompleted);
            Assert.False(tracker.IsReconnecting);
        }
    }

    [Fact]
    public async Task A_suspect_drop_on_a_healthy_pod_changes_nothing()
    {
        var notices = new Notices();
        var checks = 0;
        var tracker = new HeadPodTracker(PodA, _ => { Interlocked.Increment(ref checks); return Task.FromResult(PodA with { }); }, Options, notices.Add,
            checkCooldown: TimeSpan.FromHours(1));

        tracker.ReportSuspect(PodA, Gone());
        await tracker.CheckTask.WaitAsync(Deadline);
        tracker.ReportSuspect(PodA, Gone()); // within the cooldown

        Assert.True(tracker.CheckTask.IsCompleted);
        Assert.Equal(1, Volatile.Read(ref checks));
        Assert.Same(PodA, tracker.Current);
        Assert.False(tracker.IsReconnecting);
        Assert.Equal(0, tracker.Reconnects);
        Assert.Empty(notices.Snapshot());
        await tracker.StopAsync();
    }

    [Fact]
    public async Task A_suspect_drop_after_the_cooldown_is_checked_again()
    {
        var checks = 0;
        var tracker = new HeadPodTracker(PodA, _ => { Interlocked.Increment(ref checks); return Task.FromResult(PodA with { }); }, Options, _ => { },
            checkCooldown: TimeSpan.Zero);

        tracker.ReportSuspect(PodA, Gone());
        await tracker.CheckTask.WaitAsync(Deadline);
        tracker.ReportSuspect(PodA, Gone());
        await tracker.CheckTask.WaitAsync(Deadline);

        Assert.Equal(2, Volatile.Read(ref checks));
        await tracker.StopAsync();
    }

    [Fact]
    public async Task A_suspect_drop_that_finds_another_pod_moves_to_it_and_says_so()
    {
        var notices = new Notices();
        var tracker = new HeadPodTracker(PodA, _ => Task.FromResult(PodB), Options, notices.Add);

        tracker.ReportSuspect(PodA, Gone());
        await tracker.CheckTask.WaitAsync(Deadline);

        Assert.Same(PodB, tracker.Current);
        Assert.Equal(1, tracker.Reconnects);
        Assert.Equal("Head pod 'default/head-a' was replaced: forwarding to 'default/head-b' now.", Assert.Single(await notices.WaitForCountAsync(1)));
        await tracker.StopAsync();
    }

    [Fact]
    public async Task A_suspect_drop_whose_check_fails_starts_reconnecting()
    {
        var calls = 0;
        var notices = new Notices();
        var tracker = new HeadPodTracker(PodA, _ => Interlocked.Increment(ref calls) == 1 ? throw Gone() : Task.FromResult(PodB), Options, notices.Add);

        tracker.ReportSuspect(PodA, Gone());
        await tracker.CheckTask.WaitAsync(Deadline);
        var next = await tracker.GetTargetAsync(CancellationToken.None).WaitAsync(Deadline);

        Assert.Same(PodB, next);
        Assert.Equal(ErrorIds.DashboardTargetNotReady, tracker.LastError?.ErrorId);
        var lines = await notices.WaitForCountAsync(2);
        Assert.StartsWith("Lost the port-forward to head pod 'default/head-a'", lines[0]);
        Assert.Equal("Head pod 'default/head-a' was replaced: forwarding to 'default/head-b' now.", lines[1]);
        await tracker.StopAsync();
    }

    [Fact]
    public async Task A_stream_the_API_server_refuses_is_retried_alone_without_a_reconnect()
    {
        var resolves = 0;
        var notices = new Notices();
        var tracker = new HeadPodTracker(PodA, _ => { Interlocked.Increment(ref resolves); return Task.FromResult(PodA); }, Options, notices.Add);

        var first = tracker.ReportOpenFailed(PodA, Unavailable(), attempt: 1);
        var second = tracker.ReportOpenFailed(PodA, Unavailable(), attempt: 1); // another connection
        tracker.ReportOpened(PodA);

        Assert.Equal(Options.ReconnectDelay(2), first);
        Assert.Equal(Options.ReconnectDelay(2), second);
        Assert.False(tracker.IsReconnecting);
        Assert.True(tracker.ReconnectTask.IsCompleted);
        Assert.Equal(0, Volatile.Read(ref resolves));
        Assert.Equal(0, tracker.Reconnects);
        Assert.Null(tracker.Failure);
        Assert.Same(PodA, await tracker.GetTargetAsync(CancellationToken.None));
        Assert.Equal(ErrorIds.KubeApiServerError, tracker.LastError?.ErrorId);
        var lines = notices.Snapshot();
        Assert.Equal(2, lines.Length);
        Assert.Equal("The API server did not open a port-forward to head pod 'default/head-a': HTTP 503 (5 attempts). Retrying the connections it refuses (each up to 3 times); the others carry on.", lines[0]);
        Assert.Equal("Port-forwards to head pod 'default/head-a' open again, after 2 failures in a row.", lines[1]);

        tracker.ReportOpened(PodA); // nothing to say when nothing failed
        Assert.Equal(2, notices.Snapshot().Length);
        await tracker.StopAsync();
    }

    [Fact]
    public async Task Runs_of_refused_streams_are_announced_at_most_once_per_quiet_period()
    {
        var quiet = new Notices();
        var quietTracker = new HeadPodTracker(PodA, _ => Task.FromResult(PodA), Options, quiet.Add, openNoticeQuiet: TimeSpan.FromHours(1));
        var chatty = new Notices();
        var chattyTracker = new HeadPodTracker(PodA, _ => Task.FromResult(PodA), Options, chatty.Add, openNoticeQuiet: TimeSpan.Zero);

        foreach (var tracker in new[] { quietTracker, chattyTracker })
        {
            for (var run = 0; run < 3; run++)
            {
                Assert.NotNull(tracker.ReportOpenFailed(PodA, Unavailable(), attempt: 1));
                tracker.ReportOpened(PodA);
            }
        }

        // The first run is said with its end; later runs within the quiet period are not (nor their ends).
        Assert.Equal(2, quiet.Snapshot().Length);
        Assert.StartsWith("The API server did not open a port-forward", quiet.Snapshot()[0]);
        Assert.StartsWith("Port-forwards to head pod 'default/head-a' open again", quiet.Snapshot()[1]);
        Assert.Equal(6, chatty.Snapshot().Length);
        await quietTracker.StopAsync();
        await chattyTracker.StopAsync();
    }

    [Fact]
    public async Task A_connection_the_API_server_keeps_refusing_ends_the_session_after_its_budget()
    {
        var notices = new Notices();
        var tracker = new HeadPodTracker(PodA, _ => Task.FromResult(PodA), Options, notices.Add);
        var failed = new TaskCompletionSource<RayPSException>(TaskCreationOptions.RunContinuationsAsynchronously);
        tracker.Failed += e => failed.TrySetResult(e);

        Assert.NotNull(tracker.ReportOpenFailed(PodA, Unavailable(), attempt: 1));
        Assert.NotNull(tracker.ReportOpenFailed(PodA, Unavailable(), attempt: 2));
        Assert.Null(tracker.ReportOpenFailed(PodA, Unavailable(), attempt: 3));

        var error = await failed.Task.WaitAsync(Deadline);
        Assert.Equal(ErrorIds.KubeApiServerError, error.ErrorId);
        Assert.Same(error, tracker.Failure);
        var lines = notices.Snapshot();
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("The API server did not open a port-forward", lines[0]);
        Assert.StartsWith("Gave up forwarding to RayCluster 'ray' after 3 failed attempts to open a port-forward for one connection: HTTP 503 (5 attempts).", lines[1]);
        Assert.Null(tracker.ReportOpenFailed(PodA, Unavailable(), attempt: 1));
        await tracker.StopAsync();
    }

    [Fact]
    public async Task A_refused_stream_during_a_reconnect_waits_for_the_new_pod_without_counting()
    {
        var release = new TaskCompletionSource<DashboardTarget>(TaskCreationOptions.RunContinuationsAsynchronously);
        var notices = new Notices();
        var tracker = new HeadPodTracker(PodA, ct => release.Task.WaitAsync(ct), Options, notices.Add);
        tracker.ReportFailure(PodA, Gone());

        Assert.Equal(TimeSpan.Zero, tracker.ReportOpenFailed(PodA, Unavailable(), attempt: 1));

        release.SetResult(PodB);
        Assert.Same(PodB, await tracker.GetTargetAsync(CancellationToken.None).WaitAsync(Deadline));
        var lines = await notices.WaitForCountAsync(2);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("Lost", lines[0]);
        Assert.StartsWith("Head pod 'default/head-a' was replaced", lines[1]);
        await tracker.StopAsync();
    }

    private static async Task<T> WaitForValueAsync<T>(Func<T?> value) where T : class
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            if (value() is { } result)
            {
                return result;
            }
            Assert.True(DateTime.UtcNow < deadline, $"condition not met within {Deadline.TotalSeconds} s");
            await Task.Delay(5);
        }
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
