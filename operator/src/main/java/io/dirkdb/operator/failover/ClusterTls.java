package io.dirkdb.operator.failover;

import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.dependent.ClusterNaming;
import io.dirkdb.protocol.tls.TlsSettings;
import io.fabric8.kubernetes.api.model.Secret;
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
  /**
   * Deleted clusters, by uid (the last 10000): a pass that was still running when its cluster was deleted must
   * not write the copies back after {@link #removeDeleted} removed them. Writes and removals hold {@link #FILES}.
   */
  private static final java.util.Set<String> DELETED = java.util.Collections.newSetFromMap(
      new java.util.LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > 10_000;
        }
      });
  private static final Object FILES = new Object();

  private final DirkCluster cluster;
  private final String secretName;
  private final TlsSettings settings;

  private ClusterTls(DirkCluster cluster, String secretName, TlsSettings settings) {
    this.cluster = cluster;
    this.secretName = secretName;
    this.settings = settings;
  }

  /**
   * The cluster's TLS with its Secret's files written under {@code root} (the Secret as read, null: not found);
   * null when the cluster has no {@code spec.tls}, whose copies are then removed. A missing Secret or key leaves
   * the files absent: connections then fail naming them.
   */
  public static ClusterTls of(DirkCluster cluster, Secret secret, Path root) {
    if (cluster.getSpec() == null || !cluster.getSpec().tlsEnabled()) {
      remove(cluster, root);
      return null;
    }
    String secretName = cluster.getSpec().getTls().getSecretName();
    Path directory = directory(cluster, root);
    synchronized (FILES) {
      if (!DELETED.contains(String.valueOf(cluster.getMetadata().getUid()))) {
        writeCopies(cluster, secretName, secret, directory);
      }
    }
    TlsSettings settings = TlsSettings.client(directory.resolve("ca.crt"), directory.resolve("tls.crt"),
        directory.resolve("tls.key"));
    return new ClusterTls(cluster, secretName, settings);
  }

  /**
   * Removes the operator's copies of a cluster's TLS files (its private key among them): the cluster was
   * deleted or no longer uses TLS.
   */
  public static void remove(DirkCluster cluster, Path root) {
    synchronized (FILES) {
      removeCopies(cluster, directory(cluster, root));
    }
  }

  /** As {@link #remove}, for a deleted cluster: a pass of it still running writes nothing back. */
  public static void removeDeleted(DirkCluster cluster, Path root) {
    synchronized (FILES) {
      if (cluster.getMetadata().getUid() != null) {
        DELETED.add(cluster.getMetadata().getUid());
      }
      removeCopies(cluster, directory(cluster, root));
    }
  }

  private static void removeCopies(DirkCluster cluster, Path directory) {
    if (!Files.exists(directory)) {
      return;
    }
    try (var files = Files.list(directory)) {
      for (Path file : files.toList()) {
        Files.deleteIfExists(file);
      }
      Files.deleteIfExists(directory);
      deleteIfEmpty(directory.getParent()); // the namespace's, once its last cluster went
    } catch (IOException e) {
      LOG.warnf(e, "DirkCluster %s/%s: cannot remove the operator's copies of its TLS files in %s",
          cluster.getMetadata().getNamespace(), cluster.getMetadata().getName(), directory);
    }
  }

  private static void deleteIfEmpty(Path directory) throws IOException {
    try {
      Files.deleteIfExists(directory);
    } catch (java.nio.file.DirectoryNotEmptyException e) {
      // another cluster of the namespace still has its copies
    }
  }

  private static Path directory(DirkCluster cluster, Path root) {
    return root.resolve(cluster.getMetadata().getNamespace()).resolve(cluster.getMetadata().getName());
  }

  private static void writeCopies(DirkCluster cluster, String secretName, Secret secret, Path directory) {
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
