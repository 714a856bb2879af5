package io.dirkdb.operator.failover;

import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.dependent.ClusterNaming;
import io.dirkdb.protocol.tls.TlsSettings;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The cluster's TLS as the operator's own probes and control requests use it: the files of
 * {@code spec.tls.secretName} (tls.crt, tls.key, ca.crt) copied into a private directory, where the
 * data plane's {@link TlsSettings} reads them (again when a renewed Secret rewrites them). The
 * operator presents the cluster's certificate (members require one) and, since it reaches a member
 * by its pod IP, checks the member's certificate for the member's stable DNS name.
 */
public final class ClusterTls {

  private static final Logger LOG = Logger.getLogger(ClusterTls.class);
  static final List<String> KEYS = List.of("tls.crt", "tls.key", "ca.crt");

  private final DirkCluster cluster;
  private final String secretName;
  private final TlsSettings settings;

  private ClusterTls(DirkCluster cluster, String secretName, TlsSettings settings) {
    this.cluster = cluster;
    this.secretName = secretName;
    this.settings = settings;
  }

  /**
   * The cluster's TLS with its Secret's files written under {@code root}; null when the cluster has no
   * {@code spec.tls}. A missing Secret or key leaves the files absent: connections then fail naming them.
   */
  public static ClusterTls of(KubernetesClient client, DirkCluster cluster, Path root) {
    if (cluster.getSpec() == null || !cluster.getSpec().tlsEnabled()) {
      return null;
    }
    String secretName = cluster.getSpec().getTls().getSecretName();
    Secret secret = client.secrets().inNamespace(cluster.getMetadata().getNamespace()).withName(secretName).get();
    return of(cluster, secret, root);
  }

  /** As above, from the Secret as read (null: not found). */
  static ClusterTls of(DirkCluster cluster, Secret secret, Path root) {
    if (cluster.getSpec() == null || !cluster.getSpec().tlsEnabled()) {
      return null;
    }
    String secretName = cluster.getSpec().getTls().getSecretName();
    Path directory = root.resolve(cluster.getMetadata().getNamespace()).resolve(cluster.getMetadata().getName());
    try {
      Files.createDirectories(directory);
      trySetPermissions(directory, "rwx------");
      for (String key : KEYS) {
        byte[] content = content(secret, key);
        if (content == null) {
          // A copy of a key the Secret no longer has (or of a deleted Secret) must not stay trusted or presented.
          Files.deleteIfExists(directory.resolve(key));
          LOG.warnf("DirkCluster %s/%s: spec.tls.secretName %s has no key %s: the operator cannot reach its members",
              cluster.getMetadata().getNamespace(), cluster.getMetadata().getName(), secretName, key);
          continue;
        }
        writeIfChanged(directory.resolve(key), content);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the TLS files of " + cluster.getMetadata().getName(), e);
    }
    TlsSettings settings = TlsSettings.client(directory.resolve("ca.crt"), directory.resolve("tls.crt"),
        directory.resolve("tls.key"));
    return new ClusterTls(cluster, secretName, settings);
  }

  /** Where the operator keeps the copies: a directory of its own under the temporary one. */
  public static Path defaultRoot() {
    return Path.of(System.getProperty("java.io.tmpdir"), "dirk-operator-tls");
  }

  /** The settings toward one member: its certificate must name its stable DNS name. */
  public TlsSettings forMember(MemberAddress member) {
    return settings.withServerName(ClusterNaming.memberHost(cluster, member.id()));
  }

  /** What identifies these settings: probes are opened afresh when it changes. */
  public String key() {
    return secretName;
  }

  private static byte[] content(Secret secret, String key) {
    if (secret == null) {
      return null;
    }
    Map<String, String> data = secret.getData();
    if (data != null && data.get(key) != null) {
      return Base64.getDecoder().decode(data.get(key));
    }
    Map<String, String> stringData = secret.getStringData();
    return stringData == null || stringData.get(key) == null ? null
        : stringData.get(key).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  /** Replaced whole (a temporary file renamed into place), so a connection never reads half a file. */
  private static void writeIfChanged(Path file, byte[] content) throws IOException {
    if (Files.exists(file) && Arrays.equals(Files.readAllBytes(file), content)) {
      return;
    }
    Path temporary = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
    trySetPermissions(temporary, "rw-------");
    Files.write(temporary, content);
    try {
      Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static void trySetPermissions(Path path, String permissions) {
    try {
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
    } catch (IOException | UnsupportedOperationException e) {
      // not a POSIX file system: the directory is the operator's own anyway
    }
  }
}
