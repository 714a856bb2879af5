package io.dirkdb.operator.dependent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.dirkdb.cli.Dirk;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterSpec;
import io.dirkdb.operator.reconciler.DirkClusterReconciler;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every child of the workflow, rendered by its dependent's {@code desired()} without an API server or a Quarkus boot:
 * named within 63 characters for a 40-character cluster name, in the cluster's namespace, labelled as the cluster's,
 * and every DirkDB container's arguments accepted by the data plane's own command line. A new dependent in the
 * workflow is covered without being listed here.
 */
class WorkflowDependentsTest {
  private static final String NAME = "a-cluster-name-of-exactly-forty-letters-";

  /** The dependents of the reconciler's workflow, as its annotation lists them. */
  static List<Class<?>> dependentTypes() {
    List<Class<?>> types = new ArrayList<>();
    for (Dependent dependent : DirkClusterReconciler.class.getAnnotation(Workflow.class).dependents()) {
      types.add(dependent.type());
    }
    return types;
  }

  private static DirkCluster cluster() {
    DirkCluster cluster = new DirkCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName(NAME).withNamespace("ns").withUid("u-1").build());
    cluster.setSpec(new DirkClusterSpec());
    cluster.getSpec().setImage("dirkdb/dirk:test");
    cluster.getSpec().setSecondaries(2);
    return cluster;
  }

  @Test
  void everyChildRendersNamedLabelledAndRunnableWithoutAnApiServer() throws Exception {
    assertThat(NAME).hasSize(40);
    List<HasMetadata> rendered = new ArrayList<>();
    List<String> checkedCommands = new ArrayList<>();
    for (Class<?> type : dependentTypes()) {
      Object dependent = type.getDeclaredConstructor().newInstance();
      Method desired = findDesired(type);
      desired.setAccessible(true);
      HasMetadata child = (HasMetadata) desired.invoke(dependent, cluster(), emptyContext(Context.class));
      assertThat(child).as("%s renders a child", type.getSimpleName()).isNotNull();
      rendered.add(child);
      String what = type.getSimpleName() + " " + child.getKind() + "/" + child.getMetadata().getName();
      assertThat(child.getMetadata().getName()).as(what).startsWith(NAME).hasSizeLessThanOrEqualTo(63);
      assertThat(child.getMetadata().getNamespace()).as(what).isEqualTo("ns");
      assertThat(child.getMetadata().getLabels()).as(what).containsEntry(ClusterNaming.LABEL_INSTANCE, NAME);
      for (Container container : containers(child)) {
        List<String> args = container.getArgs() == null ? List.of() : container.getArgs();
        if (!args.isEmpty()) {
          assertThatCode(() -> Dirk.commandLine().parseArgs(args.toArray(String[]::new)))
              .as("%s container %s: dirk %s", what, container.getName(), String.join(" ", args))
              .doesNotThrowAnyException();
          checkedCommands.add(what + " " + container.getName());
        }
      }
    }
    assertThat(rendered).as("one child per dependent").hasSize(dependentTypes().size());
    assertThat(checkedCommands).as("DirkDB containers checked (members of both StatefulSets, proxy, cache)")
        .hasSizeGreaterThanOrEqualTo(4);
  }

  private static Method findDesired(Class<?> type) throws NoSuchMethodException {
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      for (Method method : c.getDeclaredMethods()) {
        if (method.getName().equals("desired") && method.getParameterCount() == 2
            && method.getParameterTypes()[0] == DirkCluster.class) {
          return method;
        }
      }
    }
    throw new NoSuchMethodException(type + ".desired(DirkCluster, Context)");
  }

  /** The containers of a child's pod template (StatefulSet, Deployment, Job, CronJob), found by reflection. */
  private static List<Container> containers(HasMetadata child) throws Exception {
    List<Container> found = new ArrayList<>();
    collect(child, found, 0);
    return found;
  }

  private static void collect(Object node, List<Container> found, int depth) throws Exception {
    if (node == null || depth > 6) {
      return;
    }
    if (node instanceof PodTemplateSpec template) {
      found.addAll(template.getSpec().getContainers());
      if (template.getSpec().getInitContainers() != null) {
        found.addAll(template.getSpec().getInitContainers());
      }
      return;
    }
    for (Method getter : node.getClass().getMethods()) {
      if (getter.getName().startsWith("get") && getter.getParameterCount() == 0
          && getter.getReturnType().getName().startsWith("io.fabric8.kubernetes.api.model")) {
        collect(getter.invoke(node), found, depth + 1);
      }
    }
  }

  /** A Context (or anything it hands out) with nothing in it: no secondary resources, no workflow state. */
  @SuppressWarnings("unchecked")
  static <T> T emptyContext(Class<T> type) {
    InvocationHandler handler = (proxy, method, args) -> {
      Class<?> returns = method.getReturnType();
      if (method.getName().equals("toString")) {
        return "empty " + type.getSimpleName();
      }
      if (returns == Optional.class) {
        return Optional.empty();
      }
      if (returns == Stream.class) {
        return Stream.empty();
      }
      if (returns == Set.class) {
        return Set.of();
      }
      if (returns == List.class || returns == Collection.class) {
        return List.of();
      }
      if (returns == Map.class) {
        return Map.of();
      }
      if (returns == boolean.class) {
        return false;
      }
      if (returns == int.class || returns == long.class) {
        return returns == int.class ? 0 : 0L;
      }
      if (returns.isInterface()) {
        return emptyContext(returns);
      }
      return null;
    };
    return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler);
  }
}
