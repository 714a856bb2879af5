package io.dirkdb.operator.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The order of a rolling update goes by role: secondaries one at a time, a switchover, the old primary. */
class RollingUpdateTest {

  static final List<StatefulSet> SETS = List.of(sts("demo-primary", "new-p"), sts("demo-secondary", "new-s"));

  @Test
  void afterAFailoverThePrimaryInTheSecondaryStatefulSetIsReplacedLast() {
    // demo-secondary-0 became primary by a failover; demo-primary-0 is one of its secondaries now.
    List<Pod> pods = List.of(pod("demo-primary-0", "old-p", true), pod("demo-secondary-0", "old-s", true),
        pod("demo-secondary-1", "old-s", true));
    Map<String, ProbeResult> results = results("demo-secondary-0", 100, "demo-primary-0", 100, "demo-secondary-1", 99);

    assertThat(RollingUpdate.next(pods, SETS, 3, "demo-secondary-0", results))
        .isEqualTo(new RollingUpdate.Step.DeletePod("demo-secondary-1",
            "replacing secondary demo-secondary-1 with the new template"));
    List<Pod> secondOne = List.of(pod("demo-primary-0", "old-p", true), pod("demo-secondary-0", "old-s", true),
        pod("demo-secondary-1", "new-s", true));
    assertThat(RollingUpdate.next(secondOne, SETS, 3, "demo-secondary-0", results))
        .isInstanceOfSatisfying(RollingUpdate.Step.DeletePod.class, d -> assertThat(d.pod()).isEqualTo("demo-primary-0"));
    List<Pod> onlyThePrimary = List.of(pod("demo-primary-0", "new-p", true), pod("demo-secondary-0", "old-s", true),
        pod("demo-secondary-1", "new-s", true));
    assertThat(RollingUpdate.next(onlyThePrimary, SETS, 3, "demo-secondary-0", results))
        .isInstanceOfSatisfying(RollingUpdate.Step.Switchover.class, s -> assertThat(s.target()).isEqualTo("demo-primary-0"));
  }

  @Test
  void nothingMovesWhileAPodIsNotReadyOrBeingReplacedOrASecondaryLags() {
    Map<String, ProbeResult> results = results("demo-primary-0", 1000, "demo-secondary-0", 1000, "demo-secondary-1", 1000);
    List<Pod> notReady = List.of(pod("demo-primary-0", "old-p", true), pod("demo-secondary-0", "new-s", false),
        pod("demo-secondary-1", "old-s", true));
    assertThat(RollingUpdate.next(notReady, SETS, 3, "demo-primary-0", results))
        .isEqualTo(new RollingUpdate.Step.Wait("demo-secondary-0 is not ready"));
    List<Pod> missing = List.of(pod("demo-primary-0", "old-p", true), pod("demo-secondary-1", "old-s", true));
    assertThat(RollingUpdate.next(missing, SETS, 3, "demo-primary-0", results))
        .isInstanceOf(RollingUpdate.Step.Wait.class);
    Map<String, ProbeResult> lagging = results("demo-primary-0", 1000, "demo-secondary-0", 10, "demo-secondary-1", 1000);
    List<Pod> all = List.of(pod("demo-primary-0", "old-p", true), pod("demo-secondary-0", "new-s", true),
        pod("demo-secondary-1", "old-s", true));
    assertThat(RollingUpdate.next(all, SETS, 3, "demo-primary-0", lagging))
        .isEqualTo(new RollingUpdate.Step.Wait("demo-secondary-0 has not caught up with the primary"));
  }

  @Test
  void aClusterWithoutSecondariesReplacesItsOnlyMemberAndAnUpToDateClusterIsDone() {
    Map<String, ProbeResult> results = results("demo-primary-0", 5);
    assertThat(RollingUpdate.next(List.of(pod("demo-primary-0", "old-p", true)), SETS, 1, "demo-primary-0", results))
        .isInstanceOfSatisfying(RollingUpdate.Step.DeletePod.class, d -> assertThat(d.pod()).isEqualTo("demo-primary-0"));
    assertThat(RollingUpdate.next(List.of(pod("demo-primary-0", "new-p", true)), SETS, 1, "demo-primary-0", results))
        .isEqualTo(new RollingUpdate.Step.Done());
  }

  @Test
  void aMemberFencedByTheUserIsNeitherReplacedNorWaitedForNorHandedThePrimaryRole() {
    // demo-secondary-0 is fenced by dirkdb.io/fenced-members: not Ready, answering fenced, highest LSN.
    Map<String, ProbeResult> results = results("demo-primary-0", 1000, "demo-secondary-0", 1000,
        "demo-secondary-1", 990);
    results.put("demo-secondary-0", new ProbeResult(new MemberAddress("demo-secondary-0", "10.0.0.1", 3948), 0,
        new HeartbeatReport("fenced", 2, 1000, true)));
    java.util.Set<String> held = java.util.Set.of("demo-secondary-0");
    List<Pod> outdatedHeld = List.of(pod("demo-primary-0", "old-p", true), pod("demo-secondary-0", "old-s", false),
        pod("demo-secondary-1", "old-s", true));
    assertThat(RollingUpdate.next(outdatedHeld, SETS, 3, "demo-primary-0", results, held))
        .isEqualTo(new RollingUpdate.Step.DeletePod("demo-secondary-1",
            "replacing secondary demo-secondary-1 with the new template"));
    List<Pod> onlyThePrimary = List.of(pod("demo-primary-0", "old-p", true), pod("demo-secondary-0", "new-s", false),
        pod("demo-secondary-1", "new-s", true));
    assertThat(RollingUpdate.next(onlyThePrimary, SETS, 3, "demo-primary-0", results, held))
        .isInstanceOfSatisfying(RollingUpdate.Step.Switchover.class,
            s -> assertThat(s.target()).isEqualTo("demo-secondary-1"));
    // Only the held member is outdated: the roll is done for now; it is rolled once it is unfenced.
    List<Pod> onlyTheHeld = List.of(pod("demo-primary-0", "new-p", true), pod("demo-secondary-0", "old-s", false),
        pod("demo-secondary-1", "new-s", true));
    assertThat(RollingUpdate.next(onlyTheHeld, SETS, 3, "demo-primary-0", results, held))
        .isEqualTo(new RollingUpdate.Step.Done());
  }

  private static StatefulSet sts(String name, String updateRevision) {
    return new StatefulSetBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewStatus().withUpdateRevision(updateRevision).endStatus().build();
  }

  private static Pod pod(String name, String revision, boolean ready) {
    String owner = name.substring(0, name.lastIndexOf('-'));
    return new PodBuilder()
        .withNewMetadata().withName(name)
        .addToLabels("dirkdb.io/statefulset", owner).addToLabels("controller-revision-hash", revision).endMetadata()
        .withNewStatus().withPodIP("10.0.0.1")
        .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
        .endStatus().build();
  }

  /** Pairs of member and LSN; the first is the primary. */
  private static Map<String, ProbeResult> results(Object... memberAndLsn) {
    Map<String, ProbeResult> results = new HashMap<>();
    for (int i = 0; i < memberAndLsn.length; i += 2) {
      String member = (String) memberAndLsn[i];
      long lsn = ((Number) memberAndLsn[i + 1]).longValue();
      HeartbeatReport heartbeat = new HeartbeatReport(i == 0 ? "primary" : "secondary", 2, lsn, true);
      results.put(member, new ProbeResult(new MemberAddress(member, "10.0.0.1", 3948), 0, heartbeat));
    }
    return results;
  }
}
