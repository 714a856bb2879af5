package io.dirkdb.operator;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Qualifier;
import jakarta.inject.Singleton;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The client the tests use as the user, the kubelet and the cluster's controllers: unlike the
 * operator's (the default bean), it carries no token, so the test API server's RBAC gate lets it do
 * anything.
 */
@Qualifier
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.FIELD, ElementType.METHOD, ElementType.PARAMETER, ElementType.TYPE})
public @interface ClusterAdmin {

  /** Produces the cluster-admin client from the operator's configuration, without its identity. */
  @Singleton
  class Producer {

    @Produces
    @Singleton
    @ClusterAdmin
    KubernetesClient clusterAdmin(KubernetesClient operator) {
      // The operator's serialization too: Quarkus's leaves a null status out, Fabric8's default would send it.
      return new KubernetesClientBuilder().withConfig(new ConfigBuilder(operator.getConfiguration())
          .withOauthToken(null).withAutoOAuthToken(null).withUserAgent("dirk-operator-tests").build())
          .withKubernetesSerialization(operator.getKubernetesSerialization()).build();
    }

    void close(@Disposes @ClusterAdmin KubernetesClient client) {
      client.close();
    }
  }
}
