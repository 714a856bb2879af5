package io.dirkdb.operator.api.v1alpha1;

/** The Kubernetes image pull policies, as an enum so the schema lists them. */
public enum ImagePullPolicy {
  Always,
  IfNotPresent,
  Never
}
