package io.dirkdb.kubectl;

/** Something the user asked that cannot be done, said in one sentence (no stack trace). */
final class UserError extends RuntimeException {
  UserError(String message) {
    super(message);
  }
}
