package io.dirkdb.operator.reconciler;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.WorkflowReconcileResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Children of a DirkCluster the workflow could not create or update, described for the user: which
 * child, what the API server answered, and what usually fixes it.
 */
final class ChildFailures {

  /** How soon a failed child is tried again. */
  static final Duration RETRY = Duration.ofSeconds(10);

  /** One failed child: its kind and dependent name, and the error. */
  record Failure(String kind, String dependent, Exception error) {

    String describe() {
      KubernetesClientException api = apiError(error);
      String answer;
      if (api == null) {
        answer = error.getClass().getSimpleName() + (error.getMessage() == null ? "" : ": " + firstLine(error.getMessage()));
      } else if (api.getStatus() != null && api.getStatus().getMessage() != null) {
        answer = "the API server answered " + api.getCode() + " " + api.getStatus().getReason() + ": "
            + api.getStatus().getMessage();
      } else {
        answer = "the API server answered " + api.getCode() + (api.getMessage() == null ? "" : ": " + firstLine(api.getMessage()));
      }
      return kind + " (" + dependent + ") could not be applied: " + answer + hint(api);
    }

    private static String hint(KubernetesClientException api) {
      if (api == null) {
        return "";
      }
      return switch (api.getCode()) {
        case 403 -> "; grant the operator's ServiceAccount this right (helm/dirk-operator RBAC) or lift the quota or policy "
            + "that refuses it";
        case 422 -> "; a validating webhook or the schema refused the object";
        default -> "";
      };
    }
  }

  private ChildFailures() {}

  static List<Failure> of(WorkflowReconcileResult result) {
    List<Failure> out = new ArrayList<>();
    for (Map.Entry<DependentResource, Exception> e : result.getErroredDependents().entrySet()) {
      DependentResource<?, ?> dependent = e.getKey();
      out.add(new Failure(dependent.resourceType().getSimpleName(), dependent.name(), e.getValue()));
    }
    out.sort(Comparator.comparing(Failure::dependent));
    return out;
  }

  /** One sentence per failed child, for the condition and the Event. */
  static String describe(List<Failure> failed) {
    return failed.stream().map(Failure::describe).collect(Collectors.joining("; "))
        + "; heartbeats and failover go on; the operator retries every " + RETRY.toSeconds() + " s";
  }

  private static KubernetesClientException apiError(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof KubernetesClientException k && k.getCode() > 0) {
        return k;
      }
    }
    return null;
  }

  private static String firstLine(String text) {
    int newline = text.indexOf('\n');
    return newline < 0 ? text : text.substring(0, newline);
  }
}
