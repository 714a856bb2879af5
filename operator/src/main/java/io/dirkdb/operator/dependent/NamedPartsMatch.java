package io.dirkdb.operator.dependent;

import io.javaoperatorsdk.operator.processing.dependent.Matcher;
import java.util.List;
import java.util.function.Function;

/**
 * Without server-side apply (the mock API server in tests), the generic matcher ignores what the
 * desired object no longer has, so a dropped container or port would go unnoticed. Comparing the
 * names of those parts as well closes that gap.
 */
final class NamedPartsMatch {
  private NamedPartsMatch() {}

  static <R> Matcher.Result<R> alsoComparing(Matcher.Result<R> generic, R actual, R desired,
      Function<R, List<String>> partNames) {
    if (generic.matched() && !partNames.apply(actual).equals(partNames.apply(desired))) {
      return Matcher.Result.computed(false, desired);
    }
    return generic;
  }
}
