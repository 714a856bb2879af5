package io.dirkdb.operator.reconciler;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.dependent.ClusterNaming;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.List;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Gives member pods their first {@code dirkdb.io/role} label: primary for {@code status.currentPrimary},
 * secondary for the others. A pod that has a role keeps it; moving roles is the failover's job.
 * Labels change by JSON merge patch, which touches nothing else of the pod.
 */
final class MemberRoleLabeler {

  private static final Logger LOG = Logger.getLogger(MemberRoleLabeler.class);

  private MemberRoleLabeler() {}

  /** Returns the pods as they are after labelling. */
  static List<Pod> labelNewMembers(KubernetesClient client, DirkCluster cluster, List<Pod> memberPods) {
    String primary = ClusterStatusAggregator.currentPrimary(cluster);
    Set<String> desired = Set.copyOf(ClusterNaming.memberNames(cluster));
    return memberPods.stream().map(pod -> {
      String name = pod.getMetadata().getName();
      var labels = pod.getMetadata().getLabels();
      if (!desired.contains(name) || (labels != null && labels.containsKey(ClusterNaming.LABEL_ROLE))) {
        return pod;
      }
      String role = name.equals(primary) ? ClusterNaming.ROLE_PRIMARY : ClusterNaming.ROLE_SECONDARY;
      String patch = "{\"metadata\":{\"labels\":{\"" + ClusterNaming.LABEL_ROLE + "\":\"" + role + "\"}}}";
      LOG.infof("DirkCluster %s/%s: labelling member %s %s=%s", cluster.getMetadata().getNamespace(),
          cluster.getMetadata().getName(), name, ClusterNaming.LABEL_ROLE, role);
      return client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(name)
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
    }).toList();
  }
}
