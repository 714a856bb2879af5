package io.dirkdb.operator.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.heartbeat.MemberAddress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

class MemberAddressesTest {

  @Test
  void probesThePodIpOnTheContainerPortNamedSql() {
    Pod pod = pod("10.1.2.3", 4000);
    assertThat(MemberAddresses.of(pod)).contains(new MemberAddress("demo-primary-0", "10.1.2.3", 4000));
    assertThat(MemberAddresses.hostPort(MemberAddresses.of(pod).orElseThrow())).isEqualTo("10.1.2.3:4000");
  }

  @Test
  void aPodWithoutIpHasNoEndpoint() {
    assertThat(MemberAddresses.of(pod(null, 3948))).isEmpty();
  }

  @Test
  void aPodBeingDeletedKeepsItsEndpointUntilItStops() {
    Pod deleting = new PodBuilder(pod("10.1.2.3", 3948)).editMetadata()
        .withDeletionTimestamp("2026-11-27T03:00:00Z").endMetadata().build();
    assertThat(MemberAddresses.of(deleting)).contains(new MemberAddress("demo-primary-0", "10.1.2.3", 3948));
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
