package io.dirkdb.operator;

import static org.awaitility.Awaitility.await;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.failover.ClusterProber;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.RegisteredController;
import io.javaoperatorsdk.operator.processing.Controller;
import io.javaoperatorsdk.operator.processing.event.EventProcessor;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;

/**
 * An operator restart inside the test JVM, made as a pod deletion makes it: the new instance keeps no
 * bookkeeping of the old one's passes, waits out the Lease the old one held (dated back), and starts with
 * no picture of the members (a new process has no probe results).
 *
 * <p>Why the care: the Operator SDK's {@code Operator.stop()} stops each controller's event processor and
 * then lets the passes still running finish; the end of such a pass is dropped (the processor is stopped),
 * so its cluster stays marked as being reconciled, and after {@code start()} it is never reconciled again.
 * A process that dies loses that mark. Waiting for a moment with no pass running is no way out: a pass that
 * writes the status (or moves a label) causes the next one at once. So the stop lets the running passes end
 * (they end before {@code stop()} returns) and then clears the marks they left, which is the state a new
 * process starts from; the events that arrived meanwhile are kept, and {@code start()} handles them.
 */
final class OperatorRestart {

  private OperatorRestart() {}

  /** Stops the operator; a pass running ends first, and leaves no cluster marked as being reconciled. */
  static void stopLikeAPodDeletion(Operator operator) {
    operator.stop();
    for (RegisteredController<?> registered : operator.getRegisteredControllers()) {
      Controller<?> controller = (Controller<?>) registered;
      // stop() waits for the running passes up to its termination timeout: they must have ended here.
      java.util.concurrent.ExecutorService passes = controller.getExecutorServiceManager().reconcileExecutorService();
      await().atMost(Duration.ofSeconds(60)).until(() -> passes == null || passes.isTerminated());
      EventProcessor<?> processor = controller.getEventProcessor();
      synchronized (processor) { // the lock under which the processor marks and unmarks passes
        try {
          Object manager = field(processor, "resourceStateManager");
          Map<?, ?> states = (Map<?, ?>) field(manager, "states");
          for (Object state : states.values()) {
            Method underProcessing = state.getClass().getMethod("setUnderProcessing", boolean.class);
            underProcessing.setAccessible(true);
            underProcessing.invoke(state, false);
          }
        } catch (ReflectiveOperationException e) {
          throw new AssertionError("the Operator SDK's EventProcessor changed; see OperatorRestart's comment", e);
        }
      }
    }
  }

  private static Object field(Object owner, String name) throws ReflectiveOperationException {
    Field field = owner.getClass().getDeclaredField(name);
    field.setAccessible(true);
    return field.get(owner);
  }

  /**
   * Stops the operator as {@link #stopLikeAPodDeletion} does, forgets what its probes learnt (a new process has heard no member
   * yet), waits {@code away} with no operator, dates its Lease back and starts it again.
   */
  static void restartAsANewProcess(Operator operator, KubernetesClient client, ClusterProber prober,
      Duration away) {
    stopLikeAPodDeletion(operator);
    try {
      client.resources(DirkCluster.class).inAnyNamespace().list().getItems()
          .forEach(c -> prober.forget(ResourceID.fromResource(c)));
      if (!away.isZero()) {
        // The operator is away for this long: nothing to await, the time passing is the point.
        await().pollDelay(away).atMost(away.plusSeconds(1)).until(() -> true);
      }
      FailoverTest.expireOperatorLease(client);
    } finally {
      operator.start(); // whatever happens, the tests after this one need a running operator
    }
  }

  /**
   * As {@link #restartAsANewProcess} with no time away, and the failover coordinator's in-memory maps emptied too
   * (the promotes it sent, the candidates it gave up, the leases it heard): a new process knows only the status.
   */
  static void restartForgettingEverything(Operator operator, KubernetesClient client, ClusterProber prober,
      io.dirkdb.operator.failover.FailoverCoordinator coordinator) throws ReflectiveOperationException {
    stopLikeAPodDeletion(operator);
    try {
      Object real = io.quarkus.arc.ClientProxy.unwrap(coordinator);
      for (Field field : io.dirkdb.operator.failover.FailoverCoordinator.class.getDeclaredFields()) {
        if (Map.class.isAssignableFrom(field.getType()) && !java.lang.reflect.Modifier.isStatic(field.getModifiers())) {
          field.setAccessible(true);
          ((Map<?, ?>) field.get(real)).clear();
        }
      }
      client.resources(DirkCluster.class).inAnyNamespace().list().getItems()
          .forEach(c -> prober.forget(ResourceID.fromResource(c)));
      FailoverTest.expireOperatorLease(client);
    } finally {
      operator.start();
    }
  }
}
