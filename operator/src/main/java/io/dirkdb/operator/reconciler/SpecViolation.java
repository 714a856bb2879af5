package io.dirkdb.operator.reconciler;

import io.dirkdb.operator.api.v1alpha1.Reason;

/**
 * One broken rule of a DirkCluster spec.
 *
 * @param field the spec field to change, e.g. {@code spec.secondaries}
 * @param reason a CamelCase reason for the condition and the Event, e.g. {@code SyncNeedsSecondary}
 * @param message what is wrong and how to fix it, for a person
 */
public record SpecViolation(String field, Reason reason, String message) {}
