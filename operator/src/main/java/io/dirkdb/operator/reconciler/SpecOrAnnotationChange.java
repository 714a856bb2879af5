package io.dirkdb.operator.reconciler;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import java.util.Map;
import java.util.Objects;

/**
 * Which updates of a DirkCluster start a pass: a spec change (a new generation), as with generation-aware
 * processing, and also a change of the annotations the operator honours ({@link ClusterAnnotations}), which
 * move no generation; a deletion or a finalizer change too. The operator's own status writes do not.
 */
public class SpecOrAnnotationChange implements OnUpdateFilter<DirkCluster> {

  private static final java.util.List<String> HONOURED = java.util.List.of(ClusterAnnotations.RECONCILIATION,
      ClusterAnnotations.HIBERNATION, ClusterAnnotations.FENCED_MEMBERS, ClusterAnnotations.RESYNC);

  @Override
  public boolean accept(DirkCluster updated, DirkCluster old) {
    if (old == null || !Objects.equals(updated.getMetadata().getGeneration(), old.getMetadata().getGeneration())
        || updated.getMetadata().getDeletionTimestamp() != null
        || !Objects.equals(updated.getMetadata().getFinalizers(), old.getMetadata().getFinalizers())) {
      return true;
    }
    Map<String, String> now = updated.getMetadata().getAnnotations();
    Map<String, String> before = old.getMetadata().getAnnotations();
    return HONOURED.stream().anyMatch(key -> !Objects.equals(now == null ? null : now.get(key),
        before == null ? null : before.get(key)));
  }
}
