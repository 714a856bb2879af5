package io.dirkdb.operator.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A DirkDB cluster: one primary, {@code spec.secondaries} secondaries, a proxy and its cache. */
@Group("dirkdb.io")
@Version("v1alpha1")
@ShortNames("dirk")
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Primary", jsonPath = ".status.currentPrimary", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.readyMembers", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
@ValidationRule(value = DirkClusterRules.TARGET_PRIMARY_IS_MEMBER, message = DirkClusterRules.TARGET_PRIMARY_IS_MEMBER_MESSAGE,
    reason = "FieldValueInvalid", fieldPath = ".spec.targetPrimary")
@ValidationRule(value = DirkClusterRules.NAME_FITS, message = DirkClusterRules.NAME_FITS_MESSAGE,
    reason = "FieldValueInvalid")
public class DirkCluster extends CustomResource<DirkClusterSpec, DirkClusterStatus> implements Namespaced {

  @Override
  protected DirkClusterSpec initSpec() {
    return new DirkClusterSpec();
  }

  @Override
  protected DirkClusterStatus initStatus() {
    return new DirkClusterStatus();
  }
}
