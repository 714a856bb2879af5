package io.dirkdb.operator.reconciler;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The image of a DirkCluster that names none: the operator's {@code dirk.operator.default-image} (env
 * {@code DIRK_DEFAULT_IMAGE}, which the chart sets from its {@code dirkImage} values), so upgrading the
 * operator's chart can move such clusters to the image released with it. Applied to the operator's own
 * copy of the resource, never written back to the user's spec.
 */
@ApplicationScoped
public class ImageDefaults {

  private final String image;

  @Inject
  public ImageDefaults(@ConfigProperty(name = "dirk.operator.default-image") String image) {
    this.image = image;
  }

  public String image() {
    return image;
  }

  /** Returns the same cluster, its {@code spec.image} filled when it was unset or blank. */
  public DirkCluster apply(DirkCluster cluster) {
    if (cluster != null && cluster.getSpec() != null
        && (cluster.getSpec().getImage() == null || cluster.getSpec().getImage().isBlank())) {
      cluster.getSpec().setImage(image);
    }
    return cluster;
  }
}
