package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One pod of what the operator rendered, translated into {@code podman run} flags as a kubelet would run
 * it: the container's command and arguments, its environment (values, {@code $(VAR)} references, field
 * and Secret references resolved from the API server), the pod's user, group and fsGroup, the read-only
 * root filesystem, dropped capabilities, no privilege escalation, the memory limit, and its volumes
 * (ConfigMap files, an emptyDir as a tmpfs, a claim as a host directory owned by the fsGroup).
 *
 * <p>The one translation a host network needs: a pod has a network of its own, where {@code 0.0.0.0}
 * means its interfaces and {@code 127.0.0.1} its own loopback, shared by its containers. Here every pod
 * gets a loopback address of the host ({@link #address}), and an argument that is exactly one of those
 * two addresses is replaced by it. Ports stay the rendered ones. Stable names
 * ({@code <pod>.<cluster>-members.<ns>.svc}) resolve through {@code --add-host}, as a cluster's DNS would.
 */
final class PodmanPod {

  private static final Pattern REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

  final String name;
  final String namespace;
  final String address;
  final PodSpec spec;
  private final Path dir;
  private final KubernetesClient client;
  private final Map<String, Path> claims = new LinkedHashMap<>();
  private final Map<String, String> hosts = new LinkedHashMap<>();

  PodmanPod(KubernetesClient client, String namespace, String name, String address, PodSpec spec, Path dir) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
    this.address = address;
    this.spec = spec;
    this.dir = dir.resolve(name);
  }

  /** A claim of the pod (a StatefulSet's volumeClaimTemplate): a host directory, as a fresh volume would be. */
  PodmanPod claim(String volume, Path hostDirectory) {
    claims.put(volume, hostDirectory);
    return this;
  }

  /** Names the pod resolves: the cluster DNS of this test. */
  PodmanPod resolving(Map<String, String> namesToAddresses) {
    hosts.putAll(namesToAddresses);
    return this;
  }

  Container container(String containerName) {
    return spec.getContainers().stream().filter(c -> c.getName().equals(containerName)).findFirst()
        .orElseThrow(() -> new AssertionError("pod " + name + " has no container " + containerName));
  }

  int port(String containerName, String portName) {
    return container(containerName).getPorts().stream().filter(p -> portName.equals(p.getName()))
        .map(ContainerPort::getContainerPort).findFirst()
        .orElseThrow(() -> new AssertionError(containerName + " renders no port named " + portName));
  }

  /** The image, as rendered. */
  String image(String containerName) {
    return container(containerName).getImage();
  }

  /** The flags of {@code podman run} for one container of the pod (without the image and arguments). */
  List<String> flags(String containerName) {
    Container container = container(containerName);
    List<String> flags = new ArrayList<>();
    flags.addAll(List.of("--hostname", name));
    hosts.forEach((host, ip) -> flags.addAll(List.of("--add-host", host + ":" + ip)));
    flags.addAll(security(container));
    Quantity memory = container.getResources() == null || container.getResources().getLimits() == null ? null
        : container.getResources().getLimits().get("memory");
    if (memory != null) {
      flags.addAll(List.of("--memory", String.valueOf(Quantity.getAmountInBytes(memory).longValue())));
    }
    environment(container).forEach((key, value) -> flags.addAll(List.of("--env", key + "=" + value)));
    for (VolumeMount mount : container.getVolumeMounts()) {
      flags.addAll(volume(mount));
    }
    if (container.getCommand() != null && !container.getCommand().isEmpty()) {
      flags.addAll(List.of("--entrypoint", toJsonArray(expand(container.getCommand(), environment(container)))));
    }
    return flags;
  }

  /** The container's arguments after {@code $(VAR)} expansion and the pod-network translation. */
  List<String> args(String containerName) {
    Container container = container(containerName);
    List<String> args = container.getArgs() == null ? List.of() : container.getArgs();
    return expand(args, environment(container)).stream()
        .map(arg -> arg.equals("0.0.0.0") || arg.equals("127.0.0.1") ? address : arg).toList();
  }

  private List<String> security(Container container) {
    PodSecurityContext pod = spec.getSecurityContext() == null ? new PodSecurityContext() : spec.getSecurityContext();
    SecurityContext own = container.getSecurityContext() == null ? new SecurityContext() : container.getSecurityContext();
    Long user = own.getRunAsUser() != null ? own.getRunAsUser() : pod.getRunAsUser();
    Long group = own.getRunAsGroup() != null ? own.getRunAsGroup() : pod.getRunAsGroup();
    boolean nonRoot = Boolean.TRUE.equals(own.getRunAsNonRoot()) || Boolean.TRUE.equals(pod.getRunAsNonRoot());
    List<String> flags = new ArrayList<>();
    if (user != null) {
      flags.addAll(List.of("--user", user + (group == null ? "" : ":" + group)));
    }
    if (nonRoot) {
      // The kubelet refuses to start such a container as root; the image's own user is 10001 too.
      assertThat(user).as("%s: runAsNonRoot needs a numeric non-zero runAsUser", name).isNotNull().isNotZero();
    }
    if (pod.getFsGroup() != null) {
      flags.addAll(List.of("--group-add", String.valueOf(pod.getFsGroup())));
    }
    if (Boolean.TRUE.equals(own.getPrivileged())) {
      fail(name + "/" + container.getName() + " asks to be privileged");
    }
    if (Boolean.TRUE.equals(own.getReadOnlyRootFilesystem())) {
      // podman would otherwise mount its own tmpfs on /tmp, /var/tmp and /run: only the pod's volumes count.
      flags.addAll(List.of("--read-only", "--read-only-tmpfs=false"));
    }
    if (Boolean.FALSE.equals(own.getAllowPrivilegeEscalation())) {
      flags.add("--security-opt=no-new-privileges");
    }
    Capabilities capabilities = own.getCapabilities();
    if (capabilities != null) {
      for (String drop : capabilities.getDrop()) {
        flags.add("--cap-drop=" + drop);
      }
      for (String add : capabilities.getAdd()) {
        flags.add("--cap-add=" + add);
      }
    }
    return flags;
  }

  /** The container's environment as the kubelet builds it, in order (a value may refer to an earlier one). */
  Map<String, String> environment(Container container) {
    Map<String, String> env = new LinkedHashMap<>();
    for (EnvVar var : container.getEnv()) {
      String value;
      if (var.getValueFrom() == null) {
        value = expand(List.of(var.getValue() == null ? "" : var.getValue()), env).get(0);
      } else if (var.getValueFrom().getFieldRef() != null) {
        String path = var.getValueFrom().getFieldRef().getFieldPath();
        value = switch (path) {
          case "metadata.name" -> name;
          case "metadata.namespace" -> namespace;
          case "status.podIP" -> address;
          default -> throw new AssertionError("field reference " + path + " is not translated by this test");
        };
      } else if (var.getValueFrom().getSecretKeyRef() != null) {
        var ref = var.getValueFrom().getSecretKeyRef();
        Secret secret = client.secrets().inNamespace(namespace).withName(ref.getName()).get();
        String encoded = secret == null || secret.getData() == null ? null : secret.getData().get(ref.getKey());
        if (encoded == null) {
          if (Boolean.TRUE.equals(ref.getOptional())) {
            continue; // an optional reference to a missing key: the variable is not set
          }
          throw new AssertionError(name + ": Secret " + ref.getName() + " has no key " + ref.getKey()
              + " (a kubelet reports CreateContainerConfigError)");
        }
        value = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
      } else if (var.getValueFrom().getConfigMapKeyRef() != null) {
        var ref = var.getValueFrom().getConfigMapKeyRef();
        ConfigMap map = client.configMaps().inNamespace(namespace).withName(ref.getName()).require();
        value = map.getData().get(ref.getKey());
      } else {
        throw new AssertionError("env " + var.getName() + ": source not translated by this test");
      }
      env.put(var.getName(), value);
    }
    return env;
  }

  private List<String> volume(VolumeMount mount) {
    if (claims.containsKey(mount.getName())) {
      Path host = claims.get(mount.getName());
      fsGroupOwned(host);
      return List.of("--volume", host + ":" + mount.getMountPath() + (Boolean.TRUE.equals(mount.getReadOnly()) ? ":ro" : ""));
    }
    Volume volume = spec.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst()
        .orElseThrow(() -> new AssertionError(name + ": mount of undeclared volume " + mount.getName()));
    if (volume.getEmptyDir() != null) {
      return List.of("--tmpfs", mount.getMountPath() + ":rw,mode=1777");
    }
    if (volume.getConfigMap() != null) {
      ConfigMap map = client.configMaps().inNamespace(namespace).withName(volume.getConfigMap().getName()).require();
      Path host = dir.resolve("volumes").resolve(volume.getName());
      writeFiles(host, map.getData());
      return List.of("--volume", host + ":" + mount.getMountPath() + ":ro");
    }
    if (volume.getSecret() != null) {
      Secret secret = client.secrets().inNamespace(namespace).withName(volume.getSecret().getSecretName()).require();
      Map<String, String> files = new LinkedHashMap<>();
      secret.getData().forEach((k, v) -> files.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
      Path host = dir.resolve("volumes").resolve(volume.getName());
      writeFiles(host, files);
      return List.of("--volume", host + ":" + mount.getMountPath() + ":ro");
    }
    throw new AssertionError(name + ": volume " + volume.getName() + " is of a kind this test does not translate");
  }

  private void fsGroupOwned(Path host) {
    Long fsGroup = spec.getSecurityContext() == null ? null : spec.getSecurityContext().getFsGroup();
    try {
      Files.createDirectories(host);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (fsGroup != null) {
      // What the kubelet does to a volume of a pod with an fsGroup: group-owned, group-writable, setgid.
      shell("chgrp", "-R", String.valueOf(fsGroup), host.toString());
      shell("chmod", "2770", host.toString());
    }
  }

  private static void writeFiles(Path directory, Map<String, String> files) {
    try {
      Files.createDirectories(directory);
      for (Map.Entry<String, String> file : files.entrySet()) {
        Files.writeString(directory.resolve(file.getKey()), file.getValue());
      }
      shell("chmod", "-R", "a+rX", directory.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void shell(String... command) {
    Podman.Result result = Podman.exec(List.of(command));
    if (result.exitCode() != 0) {
      fail(String.join(" ", command) + ": " + result.output());
    }
  }

  /** The kubelet's {@code $(VAR)} expansion; an unknown reference stays as written. */
  private static List<String> expand(List<String> values, Map<String, String> env) {
    List<String> out = new ArrayList<>();
    for (String value : values) {
      Matcher m = REFERENCE.matcher(value);
      StringBuilder expanded = new StringBuilder();
      while (m.find()) {
        String replacement = env.getOrDefault(m.group(1), m.group(0));
        m.appendReplacement(expanded, Matcher.quoteReplacement(replacement));
      }
      m.appendTail(expanded);
      out.add(expanded.toString());
    }
    return out;
  }

  private static String toJsonArray(List<String> values) {
    StringBuilder json = new StringBuilder("[");
    for (int i = 0; i < values.size(); i++) {
      json.append(i == 0 ? "" : ",").append('"').append(values.get(i).replace("\\", "\\\\").replace("\"", "\\\""))
          .append('"');
    }
    return json.append(']').toString();
  }
}
