package io.dirkdb.operator.dependent;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HibernationRenderingTest {

  private static DirkCluster cluster(Map<String, String> annotations) {
    DirkCluster cluster = new DirkCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName("demo").withNamespace("ns").withUid("u")
        .withAnnotations(annotations).build());
    cluster.getSpec().setImage("dirkdb/dirk:test");
    cluster.getSpec().getStorage().setDeleteClaimOnScaleDown(true);
    return cluster;
  }

  @Test
  void hibernationNeverDeletesAClaimEvenWhenScaleDownWouldDeleteIt() {
    assertThat(MemberStatefulSets.build(cluster(Map.of()), "demo-secondary", 1, "dirkdb/dirk:test").getSpec()
        .getPersistentVolumeClaimRetentionPolicy().getWhenScaled()).isEqualTo("Delete");
    assertThat(MemberStatefulSets.build(cluster(Map.of("dirkdb.io/hibernation", "on")), "demo-secondary", 0,
        "dirkdb/dirk:test").getSpec().getPersistentVolumeClaimRetentionPolicy().getWhenScaled()).isEqualTo("Retain");
  }
}
