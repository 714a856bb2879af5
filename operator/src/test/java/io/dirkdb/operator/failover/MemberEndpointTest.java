package io.dirkdb.operator.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

class MemberEndpointTest {

  @Test
  void probesThePodIpOnTheContainerPortNamedSql() {
    Pod pod = pod("10.1.2.3", 4000);
    assertThat(MemberEndpoint.of(pod)).contains(new MemberEndpoint("demo-primary-0", "10.1.2.3", 4000));
    assertThat(MemberEndpoint.of(pod).orElseThrow().address()).isEqualTo("10.1.2.3:4000");
  }

  @Test
  void aPodWithoutIpOrBeingDeletedHasNoEndpoint() {
    assertThat(MemberEndpoint.of(pod(null, 3948))).isEmpty();
    Pod deleting = new PodBuilder(pod("10.1.2.3", 3948)).editMetadata()
        .withDeletionTimestamp("2026-11-27T03:00:00Z").endMetadata().build();
    assertThat(MemberEndpoint.of(deleting)).isEmpty();
  }

  @Test
  void heartbeatCarriesTheReplicationFigures() {
    MemberHeartbeat heartbeat = MemberHeartbeat.parse("{\"id\":\"m2\",\"role\":\"secondary\",\"epoch\":3,\"lsn\":120,"
        + "\"ready\":true,\"primary\":\"10.1.2.3:3948\",\"streaming\":true,\"lagLsn\":4,\"lagMs\":12,"
        + "\"diverged\":false,\"needsResync\":true}");
    assertThat(heartbeat.isSecondary()).isTrue();
    assertThat(heartbeat.epoch()).isEqualTo(3);
    assertThat(heartbeat.lsn()).isEqualTo(120);
    assertThat(heartbeat.primary()).isEqualTo("10.1.2.3:3948");
    assertThat(heartbeat.lagLsn()).isEqualTo(4);
    assertThat(heartbeat.needsResync()).isTrue();
    assertThat(heartbeat.ackedLsn()).isEqualTo(-1);
  }

  private static Pod pod(String ip, int port) {
    return new PodBuilder()
        .withNewMetadata().withName("demo-primary-0").withNamespace("ns").endMetadata()
        .withNewSpec().addNewContainer().withName("dirkdb")
        .addNewPort().withName("http").withContainerPort(8080).endPort()
        .addNewPort().withName("sql").withContainerPort(port).endPort()
        .endContainer().endSpec()
        .withNewStatus().withPodIP(ip).endStatus()
        .build();
  }
}
