package io.dirkdb.operator.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterSpec;
import io.dirkdb.operator.api.v1alpha1.TlsSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review of issue 11: ClusterTls promises "a missing Secret or key leaves the files absent", but it only ever
 * writes: the copy of a Secret that was deleted, or of a key the Secret no longer has, stays under
 * /tmp/dirk-operator-tls and is still used (an old CA still trusted, a revoked client key still presented).
 */
class ClusterTlsStaleFilesTest {

  @TempDir
  Path root;

  private static DirkCluster cluster(String secretName) {
    DirkCluster cluster = new DirkCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName("demo").withNamespace("ns").build());
    cluster.setSpec(new DirkClusterSpec());
    TlsSpec tls = new TlsSpec();
    tls.setSecretName(secretName);
    cluster.getSpec().setTls(tls);
    return cluster;
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void aKeyRemovedFromTheSecretOrADeletedSecretLeavesNoCopyBehind() throws Exception {
    Secret withCa = new SecretBuilder().withNewMetadata().withName("old-tls").endMetadata()
        .addToData("tls.crt", b64("OLD CERT")).addToData("tls.key", b64("OLD KEY")).addToData("ca.crt", b64("OLD CA"))
        .build();
    ClusterTls.of(cluster("old-tls"), withCa, root);
    Path dir = root.resolve("ns/demo");
    assertThat(Files.readString(dir.resolve("ca.crt"))).isEqualTo("OLD CA");

    // spec.tls.secretName now names a Secret without ca.crt (a publicly issued certificate, say).
    Secret withoutCa = new SecretBuilder().withNewMetadata().withName("new-tls").endMetadata()
        .addToData("tls.crt", b64("NEW CERT")).addToData("tls.key", b64("NEW KEY")).build();
    ClusterTls.of(cluster("new-tls"), withoutCa, root);
    assertThat(dir.resolve("ca.crt")).as("the old Secret's CA is still trusted for the new one").doesNotExist();

    // The Secret is deleted (null): the private key of the old one is still there and still presented.
    ClusterTls.of(cluster("new-tls"), null, root);
    assertThat(dir.resolve("tls.key")).as("a deleted Secret's private key stays on the operator's disk").doesNotExist();
  }

  @Test
  void aClusterWithoutSpecTlsHasNoCopiesLeft() throws Exception {
    Secret secret = new SecretBuilder().withNewMetadata().withName("old-tls").endMetadata()
        .addToData("tls.crt", b64("CERT")).addToData("tls.key", b64("KEY")).addToData("ca.crt", b64("CA")).build();
    ClusterTls.of(cluster("old-tls"), secret, root);
    Path dir = root.resolve("ns/demo");
    assertThat(dir.resolve("tls.key")).exists();

    DirkCluster withoutTls = cluster("old-tls");
    withoutTls.getSpec().setTls(null);
    assertThat(ClusterTls.of(withoutTls, secret, root)).isNull();
    assertThat(dir).as("the copies (a private key among them) of a cluster whose spec.tls was removed").doesNotExist();
  }

  @Test
  void aDeletedClustersCopiesAreRemoved() throws Exception {
    Secret secret = new SecretBuilder().withNewMetadata().withName("old-tls").endMetadata()
        .addToData("tls.crt", b64("CERT")).addToData("tls.key", b64("KEY")).build();
    DirkCluster deleted = cluster("old-tls");
    deleted.getMetadata().setUid("uid-of-the-deleted-cluster");
    DirkCluster other = cluster("old-tls");
    other.getMetadata().setName("other");
    ClusterTls.of(deleted, secret, root);
    ClusterTls.of(other, secret, root);
    ClusterTls.removeDeleted(deleted, root);
    assertThat(root.resolve("ns/demo")).doesNotExist();
    assertThat(root.resolve("ns/other/tls.key")).exists(); // other clusters of the namespace keep theirs
    ClusterTls.remove(other, root);
    assertThat(root.resolve("ns")).as("the namespace's directory, once its last cluster went").doesNotExist();
    // A pass of the cluster that was still running when it was deleted writes nothing back.
    ClusterTls.of(deleted, secret, root);
    assertThat(root.resolve("ns/demo")).doesNotExist();
  }
}
