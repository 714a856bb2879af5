package io.dirkdb.operator;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The kubelet's ConfigMap volumes, late as a real kubelet's: a pod that starts mounts the ConfigMap as it
 * is then, but the file of a running pod follows a change only at the kubelet's next sync, up to
 * {@code syncPeriod} later (a real kubelet: its sync period plus its cache's TTL, a minute or more by
 * default). A test on this harness catches code that expects a rewritten config.json to be read at once.
 * Files change atomically, as the kubelet swaps a symlink. The content passes through {@code translate},
 * the test network's view of it (members on loopback addresses with ports of their own).
 */
final class ConfigMapVolumes implements AutoCloseable {

  /** The sync period unless a test sets one: {@code -Ddirk.test.configMapSyncMillis}, else 3 s. */
  static Duration defaultSyncPeriod() {
    return Duration.ofMillis(Long.getLong("dirk.test.configMapSyncMillis", 3000));
  }

  private final KubernetesClient client;
  private final String namespace;
  private final String configMap;
  private final String key;
  private final Path root;
  private final UnaryOperator<String> translate;
  private final Map<String, Path> mounts = new ConcurrentHashMap<>();
  private final ScheduledExecutorService kubelet = Executors.newSingleThreadScheduledExecutor(task -> {
    Thread thread = new Thread(task, "test-kubelet-configmap-sync");
    thread.setDaemon(true);
    return thread;
  });

  ConfigMapVolumes(KubernetesClient client, String namespace, String configMap, String key, Path root,
      Duration syncPeriod, UnaryOperator<String> translate) {
    this.client = client;
    this.namespace = namespace;
    this.configMap = configMap;
    this.key = key;
    this.root = root;
    this.translate = translate;
    kubelet.scheduleWithFixedDelay(this::sync, syncPeriod.toMillis(), syncPeriod.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** A pod starts: its volume holds the ConfigMap as it is now. Returns the file the container reads. */
  Path mount(String pod) {
    Path file = root.resolve(pod).resolve(key);
    write(file);
    mounts.put(pod, file);
    return file;
  }

  /** The pod is gone: its volume is no longer synced. */
  void unmount(String pod) {
    mounts.remove(pod);
  }

  /** What the pod's container reads now. */
  String seen(String pod) {
    try {
      return Files.readString(mounts.get(pod));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The kubelet's pass, now rather than at its time. */
  void syncNow() {
    sync();
  }

  /** The kubelet's periodic pass: every running pod's file gets the ConfigMap as it is now. */
  private void sync() {
    if (client.configMaps().inNamespace(namespace).withName(configMap).get() == null) {
      return; // deleted: a running pod keeps the last content it had
    }
    try {
      mounts.values().forEach(this::write);
    } catch (RuntimeException e) {
      System.err.println("test kubelet: syncing ConfigMap " + configMap + " failed: " + e);
    }
  }

  private synchronized void write(Path file) {
    ConfigMap current = client.configMaps().inNamespace(namespace).withName(configMap).get();
    if (current == null || current.getData() == null || !current.getData().containsKey(key)) {
      throw new IllegalStateException("ConfigMap " + namespace + "/" + configMap + " has no key " + key
          + ": the pod cannot start (a real kubelet reports ContainerCreating)");
    }
    try {
      Files.createDirectories(file.getParent());
      Path next = file.resolveSibling(key + ".next");
      Files.writeString(next, translate.apply(current.getData().get(key)));
      Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    kubelet.shutdownNow();
  }
}
