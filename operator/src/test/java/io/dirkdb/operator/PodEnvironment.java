package io.dirkdb.operator;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The environment the kubelet gives a container: literal values and Secret keys ({@code secretKeyRef}); a
 * missing optional key is left out, a missing required one fails the container's start, as in a cluster
 * ({@code CreateContainerConfigError}).
 */
final class PodEnvironment {

  private PodEnvironment() {}

  static Map<String, String> of(KubernetesClient client, String namespace, Container container) {
    Map<String, String> env = new LinkedHashMap<>();
    if (container.getEnv() == null) {
      return env;
    }
    for (EnvVar var : container.getEnv()) {
      if (var.getValue() != null) {
        env.put(var.getName(), var.getValue());
        continue;
      }
      SecretKeySelector ref = var.getValueFrom() == null ? null : var.getValueFrom().getSecretKeyRef();
      if (ref == null) {
        continue; // field references (the pod's name) are not needed by the commands the tests run
      }
      Secret secret = client.secrets().inNamespace(namespace).withName(ref.getName()).get();
      String encoded = secret == null || secret.getData() == null ? null : secret.getData().get(ref.getKey());
      String plain = secret == null || secret.getStringData() == null ? null : secret.getStringData().get(ref.getKey());
      String value = encoded != null ? new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8) : plain;
      if (value == null && !Boolean.TRUE.equals(ref.getOptional())) {
        throw new IllegalStateException("container " + container.getName() + ": Secret " + ref.getName()
            + " has no key " + ref.getKey() + " (CreateContainerConfigError)");
      }
      if (value != null) {
        env.put(var.getName(), value);
      }
    }
    return env;
  }
}
