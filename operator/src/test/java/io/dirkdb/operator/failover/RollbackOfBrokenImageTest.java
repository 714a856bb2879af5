package io.dirkdb.operator.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Review of issue 11: an image change to a tag that does not exist (or crashes) replaces the first secondary
 * with a pod that never gets Ready (ImagePullBackOff, CrashLoopBackOff). The user sets spec.image back: both
 * StatefulSets' updateRevision is the good template again, the broken pod is now the only outdated one, and
 * it is the pod that blocks the roll ("is not ready"). With OnDelete nothing else replaces it, so the rollback
 * never happens without a person deleting the pod by hand (the StatefulSet "forced rollback" trap the operator
 * was meant to take over); a sync cluster with one secondary stays without its sync secondary meanwhile.
 */
class RollbackOfBrokenImageTest {

  @Test
  void rollingBackABrokenImageReplacesTheNeverReadyPodMadeFromIt() {
    List<StatefulSet> rolledBack = List.of(sts("demo-primary", "good-p"), sts("demo-secondary", "good-s"));
    List<Pod> pods = List.of(pod("demo-primary-0", "good-p", true), pod("demo-secondary-0", "broken-s", false));
    HeartbeatReport primary = new HeartbeatReport("primary", 2, 100, true);
    Map<String, ProbeResult> results = Map.of("demo-primary-0",
        new ProbeResult(new MemberAddress("demo-primary-0", "10.0.0.1", 3948), 0, primary));
    // demo-secondary-0 never started: no heartbeat at all.

    assertThat(RollingUpdate.next(pods, rolledBack, 2, "demo-primary-0", results))
        .as("the only outdated pod is the broken one, which is not ready because of its template")
        .isInstanceOfSatisfying(RollingUpdate.Step.DeletePod.class,
            d -> assertThat(d.pod()).isEqualTo("demo-secondary-0"));
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
        .withNewStatus().withPodIP("10.0.0.2")
        .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
        .endStatus().build();
  }
}
