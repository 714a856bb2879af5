package io.dirkdb.operator.api.v1alpha1;

import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import java.util.Comparator;
import java.util.List;

/**
 * Puts the printer columns in reading order (Phase, Primary, Ready, Age): the CRD generator sorts
 * them by name, and kubectl shows them in CRD order. Runs at build time only.
 */
public class PrinterColumnOrder implements CRDPostProcessor {

  static final List<String> ORDER = List.of("Cluster", "Phase", "Primary", "Ready", "Backup", "Age");

  @Override
  public HasMetadata process(HasMetadata crd, String crdSpecVersion) {
    if (crd instanceof CustomResourceDefinition definition) {
      definition.getSpec().getVersions().forEach(version -> {
        List<CustomResourceColumnDefinition> columns = version.getAdditionalPrinterColumns();
        if (columns != null) {
          columns.sort(Comparator.comparingInt(c -> rank(c.getName())));
        }
      });
    }
    return crd;
  }

  private static int rank(String name) {
    int index = ORDER.indexOf(name);
    return index < 0 ? ORDER.size() : index;
  }
}
