package io.dirkdb.operator.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The prober's miss accounting on a clock, rounds and probe threads the test drives. */
class ClusterProberTest {

  static final int INTERVAL_MS = 1000;
  static final long INTERVAL = TimeUnit.MILLISECONDS.toNanos(INTERVAL_MS);
  static final ResourceID CLUSTER = new ResourceID("demo", "ns");
  static final MemberAddress MEMBER = new MemberAddress("demo-primary-0", "10.0.0.1", 3948);

  final AtomicLong clock = new AtomicLong(TimeUnit.SECONDS.toNanos(100));
  final List<Runnable> rounds = new ArrayList<>();
  /** Released at the end of each test, so no probe thread is left waiting. */
  final CountDownLatch release = new CountDownLatch(1);
  final CountDownLatch sent = new CountDownLatch(1);
  final AtomicInteger answered = new AtomicInteger();
  volatile boolean hang = true;

  final ClusterProber.Ticker ticker = new ClusterProber.Ticker() {
    @Override
    public Runnable every(long intervalMillis, Runnable round) {
      rounds.add(round);
      return () -> rounds.remove(round);
    }

    @Override
    public void shutdown() {}
  };

  /** The lease epoch each probe carried (-1: no renewal). */
  final List<Long> leaseEpochs = new java.util.concurrent.CopyOnWriteArrayList<>();

  final ClusterProber.Heartbeats heartbeats = new ClusterProber.Heartbeats() {
    @Override
    public HeartbeatReport probe(long leaseEpoch) throws Exception {
      leaseEpochs.add(leaseEpoch);
      sent.countDown();
      if (hang) {
        release.await();
        throw new java.net.SocketTimeoutException("no answer");
      }
      answered.incrementAndGet();
      return new HeartbeatReport("primary", 1, 10, true);
    }

    @Override
    public void close() {}
  };

  @AfterEach
  void releaseProbes() {
    release.countDown();
  }

  @Test
  void aProbeStillQueuedBehindBusyThreadsCountsNoMiss() {
    List<Runnable> queued = new ArrayList<>();
    ClusterProber prober = prober(queued::add); // every probe thread busy: nothing ever starts
    for (int i = 0; i < 10; i++) {
      round();
    }
    assertThat(queued).hasSize(1);
    assertThat(missed(prober)).isZero();
  }

  @Test
  void aProbeSentAndUnansweredCountsOneMissPerIntervalFromWhenItWasSent() throws Exception {
    ClusterProber prober = prober(runInThread());
    round();
    assertThat(sent.await(5, TimeUnit.SECONDS)).isTrue();
    round();
    assertThat(missed(prober)).isEqualTo(1);
    round();
    round();
    assertThat(missed(prober)).isEqualTo(3);
  }

  @Test
  void aProbeSentLateIsMeasuredFromItsSendingNotFromItsRound() {
    List<Runnable> queued = new ArrayList<>();
    ClusterProber prober = prober(queued::add);
    round();
    round();
    round(); // queued for two intervals behind other clusters' probes
    hang = false;
    queued.remove(0).run(); // sent and answered now
    assertThat(answered.get()).isEqualTo(1);
    assertThat(missed(prober)).isZero();
  }

  @Test
  void roundsThatRanLateOrBunchedUpAfterAPauseCountNoMiss() throws Exception {
    ClusterProber prober = prober(runInThread());
    round();
    assertThat(sent.await(5, TimeUnit.SECONDS)).isTrue();
    // The operator stalls for 3 intervals (a GC pause, a starved node): the late round and the
    // catch-up rounds a fixed-rate scheduler fires back to back must not make 3 misses at once.
    clock.addAndGet(3 * INTERVAL);
    rounds.get(0).run();
    rounds.get(0).run();
    rounds.get(0).run();
    assertThat(missed(prober)).isZero();
    round(); // back on time: the member still has not answered
    assertThat(missed(prober)).isEqualTo(1);
  }

  @Test
  void anAnswerClearsTheMisses() throws Exception {
    ClusterProber prober = prober(runInThread());
    round();
    assertThat(sent.await(5, TimeUnit.SECONDS)).isTrue();
    round();
    round();
    assertThat(missed(prober)).isEqualTo(2);
    hang = false;
    release.countDown(); // the hanging probe times out (counted already), the next one is answered
    await().atMost(Duration.ofSeconds(5)).until(() -> {
      round();
      return answered.get() > 0 && missed(prober) == 0;
    });
  }

  @Test
  void onlyTheMemberHeldForPrimaryHasItsLeaseRenewedAndFromTheFirstProbeAfterItIsHeld() {
    hang = false;
    ClusterProber prober = prober(Runnable::run);
    round();
    round(); // it said primary at epoch 1, but nobody holds it for primary: an old primary back from a partition
    assertThat(leaseEpochs).containsExactly(-1L, -1L);
    prober.holdPrimary(CLUSTER, MEMBER.id(), 2); // just promoted to 2, its last answer said 1: renewed at once, at 2
    round();
    assertThat(leaseEpochs).endsWith(2L); // a member renews only at its own epoch: it ignores this until it is at 2
    prober.holdPrimary(CLUSTER, MEMBER.id(), 1);
    round();
    assertThat(leaseEpochs).endsWith(1L);
    assertThat(prober.lastLeaseRenewalNanos(CLUSTER, MEMBER.id())).isPresent();
    prober.holdPrimary(CLUSTER, null, 0); // a failover began: nobody is renewed
    round();
    assertThat(leaseEpochs).endsWith(-1L);
  }

  @Test
  void aResultSaysWhenItsAnswerArrived() {
    hang = false;
    ClusterProber prober = prober(Runnable::run);
    assertThat(prober.results(CLUSTER).get(MEMBER.id()).answeredAt()).isZero();
    round();
    long first = prober.results(CLUSTER).get(MEMBER.id()).answeredAt();
    assertThat(first).isEqualTo(clock.get());
    round();
    ProbeResult second = prober.results(CLUSTER).get(MEMBER.id());
    assertThat(second.answeredAt()).isEqualTo(clock.get()).isGreaterThan(first);
    // It shows data (LSN above 0) since its first answer: an empty answer of another member before that says
    // nothing of what it held then.
    assertThat(second.dataSince()).isEqualTo(first);
    assertThat(second.showedDataOnlyAfter(new ProbeResult(MEMBER, 0, second.last(), first - 1, 0))).isTrue();
    assertThat(second.showedDataOnlyAfter(new ProbeResult(MEMBER, 0, second.last(), first, 0))).isFalse();
  }

  private ClusterProber prober(Executor probes) {
    ClusterProber prober = new ClusterProber(ticker, probes, clock::get, (endpoint, timeout, tls) -> heartbeats);
    prober.watch(CLUSTER, INTERVAL_MS, List.of(MEMBER));
    clock.addAndGet(-INTERVAL); // the first round() below is the first round
    return prober;
  }

  /** One on-time round: the clock moves one interval, then the round runs. */
  private void round() {
    clock.addAndGet(INTERVAL);
    rounds.get(0).run();
  }

  private static Executor runInThread() {
    return task -> {
      Thread thread = new Thread(task, "test-probe");
      thread.setDaemon(true);
      thread.start();
    };
  }

  private static int missed(ClusterProber prober) {
    return prober.results(CLUSTER).get(MEMBER.id()).missed();
  }
}
