package io.dirkdb.operator.reconciler;

import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.ImagePullPolicy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The image and pull policy of a DirkCluster that names none: the operator's
 * {@code dirk.operator.default-image} and {@code dirk.operator.default-image-pull-policy} (env
 * {@code DIRK_DEFAULT_IMAGE}, {@code DIRK_DEFAULT_IMAGE_PULL_POLICY}, which the chart sets from its
 * {@code dirkImage} values), so upgrading the operator's chart can move such clusters to the image
 * released with it. Applied to the operator's own copy of the resource, never written back to the user's spec.
 */
@ApplicationScoped
public class ImageDefaults {

  private final String image;
  private final ImagePullPolicy pullPolicy;

  @Inject
  public ImageDefaults(@ConfigProperty(name = "dirk.operator.default-image") String image,
      @ConfigProperty(name = "dirk.operator.default-image-pull-policy", defaultValue = "IfNotPresent")
      ImagePullPolicy pullPolicy) {
    this.image = image;
    this.pullPolicy = pullPolicy;
  }

  public String image() {
    return image;
  }

  /** Returns the same cluster, its {@code spec.image} and {@code spec.imagePullPolicy} filled when unset. */
  public DirkCluster apply(DirkCluster cluster) {
    if (cluster == null || cluster.getSpec() == null) {
      return cluster;
    }
    if (cluster.getSpec().getImage() == null || cluster.getSpec().getImage().isBlank()) {
      cluster.getSpec().setImage(image);
    }
    if (cluster.getSpec().getImagePullPolicy() == null) {
      cluster.getSpec().setImagePullPolicy(pullPolicy);
    }
    return cluster;
  }
}
