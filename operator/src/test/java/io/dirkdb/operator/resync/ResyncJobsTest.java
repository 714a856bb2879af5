package io.dirkdb.operator.resync;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterSpec;
import io.dirkdb.heartbeat.MemberAddress;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ResyncJobsTest {

  @Test
  void jobRunsDirkResyncFromThePrimaryToTheMemberOnceAndExpires() {
    DirkCluster cluster = new DirkCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName("demo").withNamespace("ns").withUid("u-1").build());
    cluster.setSpec(new DirkClusterSpec());
    Job job = ResyncJobs.desired(cluster, "demo-primary-0", 2, new MemberAddress("demo-secondary-0", "10.0.0.5", 3948),
        new MemberAddress("demo-primary-0", "10.0.0.4", 3948));

    assertThat(job.getMetadata().getName()).isEqualTo("demo-resync-p0-2");
    assertThat(ResyncJobs.attempt(job)).isEqualTo(2);
    assertThat(job.getMetadata().getLabels()).containsEntry("app.kubernetes.io/component", "resync")
        .containsEntry("dirkdb.io/member", "demo-primary-0").containsEntry("app.kubernetes.io/instance", "demo");
    var container = job.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(container.getArgs()).containsExactly("resync", "--from", "10.0.0.5:3948", "--to", "10.0.0.4:3948");
    assertThat(container.getEnv().get(0).getValueFrom().getSecretKeyRef().getName()).isEqualTo("demo-credentials");
    assertThat(job.getSpec().getBackoffLimit()).isZero();
    assertThat(job.getSpec().getTtlSecondsAfterFinished()).isPositive();
    assertThat(job.getSpec().getTemplate().getSpec().getRestartPolicy()).isEqualTo("Never");
    assertThat(job.getMetadata().getOwnerReferences()).singleElement()
        .satisfies(o -> assertThat(o.getUid()).isEqualTo("u-1"));
  }

  @Test
  void jobPodPassesPodSecurityRestrictedAndIsSizedLikeAMember() {
    DirkCluster cluster = new DirkCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName("demo").withNamespace("ns").withUid("u-1").build());
    cluster.setSpec(new DirkClusterSpec());
    var pod = ResyncJobs.desired(cluster, "demo-secondary-0", 1, new MemberAddress("demo-primary-0", "10.0.0.5", 3948),
        new MemberAddress("demo-secondary-0", "10.0.0.4", 3948)).getSpec().getTemplate().getSpec();
    var container = pod.getContainers().get(0);
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(container.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
    assertThat(pod.getVolumes()).anySatisfy(v -> assertThat(v.getEmptyDir()).isNotNull());
    assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(container.getResources().getLimits()).containsKey("memory");
    assertThat(container.getEnv()).anySatisfy(e -> {
      assertThat(e.getName()).isEqualTo("JAVA_TOOL_OPTIONS");
      assertThat(e.getValue()).contains("MaxRAMPercentage");
    });
  }

  @Test
  void jobNamesFitInALabelForTheLongestClusterName() {
    DirkCluster cluster = new DirkCluster();
    String name = "c".repeat(io.dirkdb.operator.api.v1alpha1.DirkClusterRules.MAX_NAME_LENGTH);
    cluster.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("ns").withUid("u-1").build());
    cluster.setSpec(new DirkClusterSpec());
    assertThat(ResyncJobs.name(cluster, name + "-secondary-14", 99999)).hasSizeLessThanOrEqualTo(63)
        .isEqualTo(name + "-resync-s14-99999");
    assertThat(ResyncJobs.name(cluster, name + "-primary-0", 7)).isEqualTo(name + "-resync-p0-7");
  }

  @Test
  void retriesBackOffFromTenSecondsDoublingUpToFiveMinutes() {
    assertThat(ResyncCoordinator.backoff(1, ResyncCoordinator.DEFAULT_FIRST_BACKOFF)).isEqualTo(Duration.ofSeconds(10));
    assertThat(ResyncCoordinator.backoff(2, ResyncCoordinator.DEFAULT_FIRST_BACKOFF)).isEqualTo(Duration.ofSeconds(20));
    assertThat(ResyncCoordinator.backoff(4, ResyncCoordinator.DEFAULT_FIRST_BACKOFF)).isEqualTo(Duration.ofSeconds(80));
    assertThat(ResyncCoordinator.backoff(20, ResyncCoordinator.DEFAULT_FIRST_BACKOFF)).isEqualTo(Duration.ofMinutes(5));
  }
}
