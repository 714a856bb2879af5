package io.dirkdb.operator.dependent;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import org.junit.jupiter.api.Test;

class StorageQuantitiesTest {

  @Test
  void sizesAreSaidTheWayTheApiServerStoresThem() {
    assertThat(StorageQuantities.canonical("1024Mi")).isEqualTo("1Gi");
    assertThat(StorageQuantities.canonical("1.5Gi")).isEqualTo("1536Mi");
    assertThat(StorageQuantities.canonical("5Gi")).isEqualTo("5Gi");
    assertThat(StorageQuantities.canonical("2000M")).isEqualTo("2G");
    assertThat(StorageQuantities.canonical("1000")).isEqualTo("1k");
    assertThat(StorageQuantities.canonical("1536Mi")).isEqualTo("1536Mi");
  }

  @Test
  void aNonCanonicalSizeIsDesiredInCanonicalFormSoItMatchesTheStoredStatefulSet() {
    DirkCluster cluster = new DirkCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName("demo").withNamespace("ns").withUid("u").build());
    cluster.getSpec().setImage("dirkdb/dirk:test");
    cluster.getSpec().getStorage().setSize("1024Mi");
    var claim = MemberStatefulSets.build(cluster, "demo-primary", 1, "dirkdb/dirk:test").getSpec()
        .getVolumeClaimTemplates().get(0);
    assertThat(claim.getSpec().getResources().getRequests().get("storage").toString()).isEqualTo("1Gi");
  }
}
