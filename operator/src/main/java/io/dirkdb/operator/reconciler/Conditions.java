package io.dirkdb.operator.reconciler;

import io.dirkdb.operator.api.v1alpha1.ConditionType;
import io.dirkdb.operator.api.v1alpha1.Reason;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** Sets conditions the Kubernetes way (lastTransitionTime moves only when the status flips), for StatusWriter. */
final class Conditions {

  private Conditions() {}

  static List<Condition> set(List<Condition> previous, ConditionType type, boolean status, Reason reason,
      String message,
      Long generation) {
    List<Condition> result = new ArrayList<>();
    String statusText = status ? "True" : "False";
    Condition old = null;
    if (previous != null) {
      for (Condition c : previous) {
        if (type.name().equals(c.getType())) {
          old = c;
        } else {
          result.add(c);
        }
      }
    }
    String transition = old != null && statusText.equals(old.getStatus()) && old.getLastTransitionTime() != null
        ? old.getLastTransitionTime()
        : Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    result.add(new ConditionBuilder()
        .withType(type.name())
        .withStatus(statusText)
        .withReason(reason.name())
        .withMessage(message)
        .withObservedGeneration(generation)
        .withLastTransitionTime(transition)
        .build());
    result.sort((a, b) -> a.getType().compareTo(b.getType()));
    return result;
  }
}
