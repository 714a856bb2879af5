package io.dirkdb.operator;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * The Job controller and kubelet of the harness: runs a Job's container command ({@code dirk ...}) as a
 * process of its own, one pod after another until one succeeds or {@code backoffLimit + 1} failed, and
 * records it in the Job's status as the real controller does ({@code active}, {@code succeeded},
 * {@code failed}, {@code startTime}, {@code completionTime}, condition {@code Complete} or {@code Failed}
 * with reason {@code BackoffLimitExceeded}). A Job past {@code activeDeadlineSeconds} is killed and failed.
 */
final class JobController {

  /** Processes of Jobs still running; killed if the test JVM exits first. */
  private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly),
        "job-processes-kill"));
  }

  private final KubernetesClient client;
  private final String namespace;
  private final Path logs;

  JobController(KubernetesClient client, String namespace, Path logs) {
    this.client = client;
    this.namespace = namespace;
    this.logs = logs;
  }

  /**
   * Runs Job {@code job} to its end with {@code extraArgs} after its container's args (what the pod's
   * environment gives it in a cluster: the password, and test timings). {@code injectedFailure} says
   * whether the next attempt fails at once (exit 1) instead of running, as a pod whose source vanished.
   * Returns the exit code of each attempt.
   */
  List<Integer> run(Job job, List<String> extraArgs, IntSupplier injectedFailure) {
    String name = job.getMetadata().getName();
    int backoffLimit = Optional.ofNullable(job.getSpec().getBackoffLimit()).orElse(6);
    long deadlineSeconds = Optional.ofNullable(job.getSpec().getActiveDeadlineSeconds()).orElse(600L);
    String started = Instant.now().toString();
    List<Integer> exits = new ArrayList<>();
    int failed = 0;
    while (true) {
      int failedSoFar = failed;
      writeStatus(name, j -> j.withNewStatus().withActive(1).withFailed(failedSoFar).withSucceeded(0)
          .withStartTime(started).endStatus());
      int exit = injectedFailure.getAsInt() != 0 ? 1 : runPod(job, extraArgs, deadlineSeconds, exits.size());
      exits.add(exit);
      String now = Instant.now().toString();
      if (exit == 0) {
        int failures = failed;
        writeStatus(name, j -> j.withNewStatus().withActive(0).withSucceeded(1).withFailed(failures)
            .withStartTime(started).withCompletionTime(now)
            .withConditions(new JobConditionBuilder().withType("Complete").withStatus("True")
                .withLastTransitionTime(now).build())
            .endStatus());
        return exits;
      }
      failed++;
      if (failed > backoffLimit) {
        int failures = failed;
        writeStatus(name, j -> j.withNewStatus().withActive(0).withSucceeded(0).withFailed(failures)
            .withStartTime(started)
            .withConditions(new JobConditionBuilder().withType("Failed").withStatus("True")
                .withReason("BackoffLimitExceeded").withMessage("Job has reached the specified backoff limit")
                .withLastTransitionTime(now).build())
            .endStatus());
        return exits;
      }
    }
  }

  /** One pod of the Job: {@code dirk <args>} in a JVM of its own; its exit code. */
  private int runPod(Job job, List<String> extraArgs, long deadlineSeconds, int attempt) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
    command.addAll(TestHosts.jvmOptions()); // the members' stable names resolve in the Job's pod as in the test JVM
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.dirkdb.cli.Dirk"));
    command.addAll(job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs());
    command.addAll(extraArgs);
    try {
      Files.createDirectories(logs);
      Path log = logs.resolve(job.getMetadata().getName() + "-" + attempt + ".log");
      Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      RUNNING.add(process);
      try {
        if (!process.waitFor(deadlineSeconds, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor();
          return 137;
        }
        return process.exitValue();
      } finally {
        RUNNING.remove(process);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 137;
    }
  }

  private void writeStatus(String name, java.util.function.UnaryOperator<JobBuilder> status) {
    Kubelet.retryOnConflict(() -> client.batch().v1().jobs().inNamespace(namespace).withName(name)
        .editStatus(j -> status.apply(new JobBuilder(j)).build()));
  }
}
