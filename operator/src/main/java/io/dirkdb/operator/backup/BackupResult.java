package io.dirkdb.operator.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dirkdb.operator.api.v1alpha1.DirkBackupStatus;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * What {@code dirk backup} left as its container's termination message: on success one JSON object with the
 * backup's id and LSN range, on failure {@code {"error":"..."}}; a message that is neither (the log's tail, which
 * Kubernetes takes when the file is empty and the container failed) gives its last line as the error.
 */
public record BackupResult(DirkBackupStatus fields, String error) {

  private static final ObjectMapper JSON = new ObjectMapper();
  static final int MAX_ERROR = 500;

  public boolean succeeded() {
    return error == null;
  }

  /** The result a container with this termination message (null: none) and this exit code reports. */
  public static BackupResult of(String message, boolean exitedZero) {
    if (message == null || message.isBlank()) {
      return new BackupResult(null, exitedZero
          ? "dirk backup exited 0 but left no result in its termination message; the backup may be in the repository"
              + " (dirk backup list) but its id is unknown"
          : "dirk backup failed without a message; see the Job's pod log");
    }
    JsonNode node;
    try {
      node = JSON.readTree(message.trim());
    } catch (IOException e) {
      node = null;
    }
    if (node == null || !node.isObject()) {
      return new BackupResult(null, (exitedZero ? "dirk backup left a result that is not JSON: " : "")
          + clip(lastLine(message)));
    }
    if (node.hasNonNull("error")) {
      return new BackupResult(null, clip(lastLine(node.get("error").asText())));
    }
    if (!exitedZero) {
      return new BackupResult(null, "dirk backup failed after writing a result; see the Job's pod log");
    }
    if (!node.hasNonNull("backupId") || !node.path("startLsn").canConvertToLong()
        || !node.path("endLsn").canConvertToLong() || !node.path("startLsn").isNumber()
        || !node.path("endLsn").isNumber()) {
      return new BackupResult(null, "dirk backup's result lacks backupId, startLsn or endLsn: " + clip(message.trim()));
    }
    DirkBackupStatus fields = new DirkBackupStatus();
    fields.setBackupId(node.get("backupId").asText());
    fields.setHistoryId(text(node, "historyId"));
    fields.setStartLsn(node.get("startLsn").asLong());
    fields.setEndLsn(node.get("endLsn").asLong());
    fields.setEpoch(node.path("epoch").isNumber() ? node.get("epoch").asLong() : null);
    fields.setBytes(node.path("bytes").isNumber() ? node.get("bytes").asLong() : null);
    fields.setStartedAt(text(node, "startedAt"));
    fields.setCompletedAt(text(node, "completedAt"));
    fields.setMember(text(node, "member"));
    return new BackupResult(fields, null);
  }

  /**
   * How a scheduled Job's prune container that exited {@code exitCode} with this termination message (null: none) is
   * worded: as the prune, never as the backup (which succeeded before it).
   */
  public static String pruneError(Integer exitCode, String message) {
    String head = "dirk backup prune exited " + exitCode;
    if (message == null || message.isBlank()) {
      return head + " without a message";
    }
    String error = null;
    try {
      JsonNode node = JSON.readTree(message.trim());
      if (node != null && node.isObject() && node.hasNonNull("error")) {
        error = node.get("error").asText();
      }
    } catch (IOException e) {
      // not JSON: its last line is the message
    }
    return head + ": " + clip(lastLine(error != null ? error : message));
  }

  private static String text(JsonNode node, String field) {
    return node.hasNonNull(field) ? node.get(field).asText() : null;
  }

  private static String lastLine(String text) {
    List<String> lines = Arrays.stream(text.split("\\R")).map(String::strip).filter(l -> !l.isEmpty()).toList();
    return lines.isEmpty() ? text.strip() : lines.get(lines.size() - 1);
  }

  private static String clip(String text) {
    return text.length() <= MAX_ERROR ? text : text.substring(0, MAX_ERROR) + "...";
  }
}
