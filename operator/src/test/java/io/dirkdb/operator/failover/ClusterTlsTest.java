package io.dirkdb.operator.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dirkdb.heartbeat.HeartbeatProbe;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterSpec;
import io.dirkdb.operator.api.v1alpha1.TlsSpec;
import io.dirkdb.protocol.tls.TlsSettings;
import io.dirkdb.replication.supervisor.NetworkMemberControl;
import io.dirkdb.server.EngineDatabase;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.dirkdb.testing.TestCertificates;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's own connections to a cluster with spec.tls: a real member requiring client
 * certificates, reached by IP, its certificate checked for the member's stable DNS name.
 */
class ClusterTlsTest {
  private static final TestCertificates.Authority CA = TestCertificates.authority("cluster CA");

  @TempDir
  Path root;

  private MemberServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static DirkCluster cluster(String secretName) {
    DirkCluster cluster = new DirkCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName("demo").withNamespace("ns").build());
    cluster.setSpec(new DirkClusterSpec());
    if (secretName != null) {
      TlsSpec tls = new TlsSpec();
      tls.setSecretName(secretName);
      cluster.getSpec().setTls(tls);
    }
    return cluster;
  }

  /** The Secret cert-manager would make for the cluster: one certificate for every member's stable name. */
  private Secret secret(TestCertificates.Issued issued) throws Exception {
    Path files = issued.writeSecret(root.resolve("secret-" + System.nanoTime()));
    return new SecretBuilder().withNewMetadata().withName("demo-tls").endMetadata().withType("kubernetes.io/tls")
        .addToData("tls.crt", base64(files.resolve("tls.crt")))
        .addToData("tls.key", base64(files.resolve("tls.key")))
        .addToData("ca.crt", base64(files.resolve("ca.crt")))
        .build();
  }

  private static String base64(Path file) throws Exception {
    return Base64.getEncoder().encodeToString(Files.readAllBytes(file));
  }

  private MemberAddress startMember(String pod) throws Exception {
    Path secret = CA.issue(pod, pod + ".demo-members.ns.svc").writeSecret(root.resolve("member-tls"));
    Path data = root.resolve("data");
    server = MemberServer.start(Member.start(pod, EngineDatabase.open(data), data, Role.PRIMARY),
        ServerSettings.loopback(0).withTls(new TlsSettings(secret.resolve("tls.crt"), secret.resolve("tls.key"),
            secret.resolve("ca.crt"), TlsSettings.ClientAuth.REQUIRED)));
    return new MemberAddress(pod, "127.0.0.1", server.port());
  }

  @Test
  void probesAndControlRequestsReachAMutualTlsMemberByIpCheckingItsStableName() throws Exception {
    MemberAddress member = startMember("demo-primary-0");
    ClusterTls tls = ClusterTls.of(cluster("demo-tls"),
        secret(CA.issue("demo", "*.demo-members.ns.svc", "demo-proxy.ns.svc")), root.resolve("operator"));

    try (HeartbeatProbe probe = new HeartbeatProbe(member, 5000, tls.forMember(member))) {
      HeartbeatReport report = probe.probe(-1);
      assertThat(report.role()).isEqualTo("primary");
    }
    try (NetworkMemberControl control = new NetworkMemberControl(5000, 5000, null, tls::forMember)) {
      assertThat(control.fence(member)).startsWith("fenced");
    }
    // The same address answering for another member's name (a recycled pod IP) is not believed.
    MemberAddress impostor = new MemberAddress("demo-secondary-1", member.host(), member.port());
    try (HeartbeatProbe probe = new HeartbeatProbe(impostor, 5000, tls.forMember(impostor))) {
      assertThatThrownBy(() -> probe.probe(-1)).hasMessageContaining("is not for the name connected to");
    }
  }

  @Test
  void aRenewedSecretReplacesTheOperatorsCopyAndNoSpecTlsMeansPlainTcp() throws Exception {
    Path operatorRoot = root.resolve("operator");
    ClusterTls.of(cluster("demo-tls"), secret(CA.issue("demo", "*.demo-members.ns.svc")), operatorRoot);
    Path copy = operatorRoot.resolve("ns/demo/tls.crt");
    String first = Files.readString(copy);
    Secret renewed = secret(CA.issue("demo", "*.demo-members.ns.svc"));
    ClusterTls.of(cluster("demo-tls"), renewed, operatorRoot);
    assertThat(Files.readString(copy)).isNotEqualTo(first)
        .isEqualTo(new String(Base64.getDecoder().decode(renewed.getData().get("tls.crt"))));
    assertThat(ClusterTls.of(cluster(null), renewed, operatorRoot)).isNull();
  }
}
