package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

import io.dirkdb.cli.Dirk;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.resync.ResyncJobs;
import io.dirkdb.server.ClusterConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The operator and the image must agree: every container it renders runs a command the {@code dirk}
 * entry point accepts, and the config.json it renders is one every member finds itself in. The data
 * plane's own parser is the judge, so a renamed flag on either side fails here, not in a cluster.
 */
@QuarkusTest
class ContainerCommandsTest {

  @Inject
  @ClusterAdmin
  KubernetesClient client;

  @ParameterizedTest
  @ValueSource(strings = {"basic.yaml", "ha-sync.yaml", "no-cache.yaml", "with-auth.yaml"})
  void everyRenderedCommandAndConfigIsAcceptedByTheDataPlane(String example, @TempDir Path dir)
      throws Exception {
    String ns = "commands-" + example.replace(".yaml", "");
    DirkCluster cluster = TestClusters.create(client, ns, TestClusters.example(client, example));
    String name = cluster.getMetadata().getName();
    int secondaries = cluster.getSpec().getSecondaries();

    List<List<String>> commands = new ArrayList<>();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(client.apps().statefulSets().inNamespace(ns).withName(name + "-primary").get()).isNotNull();
      assertThat(client.apps().statefulSets().inNamespace(ns).withName(name + "-secondary").get()).isNotNull();
      assertThat(client.apps().deployments().inNamespace(ns).withName(name + "-proxy").get()).isNotNull();
      assertThat(client.configMaps().inNamespace(ns).withName(name + "-config").get()).isNotNull();
    });
    for (String sts : List.of(name + "-primary", name + "-secondary")) {
      StatefulSet statefulSet = client.apps().statefulSets().inNamespace(ns).withName(sts).require();
      for (Container c : statefulSet.getSpec().getTemplate().getSpec().getContainers()) {
        commands.add(c.getArgs());
        List<String> preStop = c.getLifecycle().getPreStop().getExec().getCommand();
        assertThat(preStop.get(0)).isEqualTo("/usr/local/bin/dirk"); // the image's entrypoint
        commands.add(preStop.subList(1, preStop.size()));
      }
    }
    Deployment proxy = client.apps().deployments().inNamespace(ns).withName(name + "-proxy").require();
    for (Container c : proxy.getSpec().getTemplate().getSpec().getContainers()) {
      commands.add(c.getArgs());
    }
    commands.add(ResyncJobs.command(new MemberAddress(name + "-primary-0", "10.0.0.5", 3948),
        new MemberAddress(name + "-secondary-0", "10.0.0.6", 3948)));

    assertThat(commands).hasSizeGreaterThanOrEqualTo(4);
    for (List<String> args : commands) {
      assertThatCode(() -> Dirk.commandLine().parseArgs(args.toArray(String[]::new)))
          .as("dirk %s", String.join(" ", args))
          .doesNotThrowAnyException();
    }

    ConfigMap config = client.configMaps().inNamespace(ns).withName(name + "-config").require();
    Path file = dir.resolve("config.json");
    Files.writeString(file, config.getData().get("config.json"));
    ClusterConfig parsed = ClusterConfig.load(file);
    List<String> pods = new ArrayList<>();
    pods.add(name + "-primary-0");
    for (int i = 0; i < secondaries; i++) {
      pods.add(name + "-secondary-" + i);
    }
    for (String pod : pods) {
      assertThat(parsed.instance(file, pod).id()).isEqualTo(pod);
    }
    assertThat(parsed.instances()).hasSize(pods.size());
  }
}
