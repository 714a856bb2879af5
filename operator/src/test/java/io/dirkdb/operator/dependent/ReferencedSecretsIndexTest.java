package io.dirkdb.operator.dependent;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.operator.api.v1alpha1.AuthSpec;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterSpec;
import io.dirkdb.operator.api.v1alpha1.TlsSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import org.junit.jupiter.api.Test;

/** Which Secrets map back to a DirkCluster when they change: the users' Secrets it names, by namespace. */
class ReferencedSecretsIndexTest {

  private static DirkCluster cluster(String auth, String tls) {
    DirkCluster cluster = new DirkCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName("demo").withNamespace("ns").build());
    cluster.setSpec(new DirkClusterSpec());
    if (auth != null) {
      AuthSpec a = new AuthSpec();
      a.setSecretName(auth);
      cluster.getSpec().setAuth(a);
    }
    if (tls != null) {
      TlsSpec t = new TlsSpec();
      t.setSecretName(tls);
      cluster.getSpec().setTls(t);
    }
    return cluster;
  }

  @Test
  void aClusterIsFoundByTheAuthAndTlsSecretsItNamesInItsNamespace() {
    assertThat(ReferencedSecrets.indexKeys(cluster("app-passwords", "demo-tls")))
        .containsExactly("ns/app-passwords", "ns/demo-tls");
  }

  @Test
  void theGeneratedSecretIsLeftToItsDependentsInformer() {
    assertThat(ReferencedSecrets.indexKeys(cluster(null, null))).isEmpty();
    assertThat(ReferencedSecrets.indexKeys(cluster("demo-credentials", null))).isEmpty();
  }

  @Test
  void oneSecretForAuthAndTlsIsOneKey() {
    assertThat(ReferencedSecrets.indexKeys(cluster("shared", "shared"))).containsExactly("ns/shared");
  }
}
