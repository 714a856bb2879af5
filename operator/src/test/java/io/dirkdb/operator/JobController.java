package io.dirkdb.operator;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
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
  /** What the pod's network and kubelet change in the container's args and environment (opt-in: resync Jobs get neither). */
  private java.util.function.UnaryOperator<List<String>> argsOnTestNetwork = args -> args;
  private boolean podEnvironment;

  /** Runs the pods with the environment their containers declare (Secret keys resolved) and their args rewritten. */
  JobController asPod(java.util.function.UnaryOperator<List<String>> argsOnTestNetwork) {
    this.argsOnTestNetwork = argsOnTestNetwork;
    this.podEnvironment = true;
    return this;
  }

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

  /**
   * One pod of the Job: {@code dirk <args>} in a JVM of its own; its exit code. The container's
   * {@code terminationMessagePath} (e.g. {@code /dev/termination-log} in its args) is a file of the test, and the
   * pod {@code <job>-<attempt>} is recorded with the container's terminated state and that file as its message, as
   * the kubelet does (the log's tail instead, for {@code FallbackToLogsOnError} with an empty file and a failure).
   */
  private int runPod(Job job, List<String> extraArgs, long deadlineSeconds, int attempt) {
    Container container = job.getSpec().getTemplate().getSpec().getContainers().get(0);
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
    command.addAll(TestHosts.jvmOptions()); // the members' stable names resolve in the Job's pod as in the test JVM
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.dirkdb.cli.Dirk"));
    String podName = job.getMetadata().getName() + "-" + attempt;
    Path terminationLog = logs.resolve(podName + ".termination-log");
    String messagePath = container.getTerminationMessagePath();
    for (String arg : argsOnTestNetwork.apply(container.getArgs())) {
      command.add(messagePath != null && arg.equals(messagePath) ? terminationLog.toString() : arg);
    }
    command.addAll(extraArgs);
    try {
      Files.createDirectories(logs);
      Files.deleteIfExists(terminationLog);
      Path log = logs.resolve(podName + ".log");
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
      if (podEnvironment) {
        builder.environment().putAll(PodEnvironment.of(client, namespace, container));
      }
      Process process = builder.start();
      RUNNING.add(process);
      int exit;
      try {
        if (!process.waitFor(deadlineSeconds, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor();
          exit = 137;
        } else {
          exit = process.exitValue();
        }
      } finally {
        RUNNING.remove(process);
      }
      String message = Files.exists(terminationLog) ? clip(Files.readString(terminationLog), 4096) : "";
      if (message.isEmpty() && exit != 0 && "FallbackToLogsOnError".equals(container.getTerminationMessagePolicy())) {
        List<String> lines = Files.readAllLines(log);
        message = clip(String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size())), 2048);
      }
      recordPod(job, podName, container.getName(), exit, message.isEmpty() ? null : message);
      return exit;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 137;
    }
  }

  /** A process of the test that must not outlive the test JVM. */
  static void killWithTestJvm(Process process) {
    RUNNING.add(process);
    process.onExit().thenRun(() -> RUNNING.remove(process));
  }

  /** Runs {@code dirk <args>} in a JVM of its own with {@code env} added, its output to {@code log}; its exit code. */
  static int runDirk(List<String> args, java.util.Map<String, String> env, Path log, java.time.Duration timeout) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx192m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
    command.addAll(TestHosts.jvmOptions());
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.dirkdb.cli.Dirk"));
    command.addAll(args);
    try {
      Files.createDirectories(log.getParent());
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
      builder.environment().putAll(env);
      Process process = builder.start();
      RUNNING.add(process);
      try {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
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

  /**
   * Starts {@code dirk <args>} with {@code env} as a long-running pod would (the archiver); the caller stops it. The
   * process dies with the test JVM at the latest.
   */
  static Process startDirk(List<String> args, java.util.Map<String, String> env, Path log) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx192m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
    command.addAll(TestHosts.jvmOptions());
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.dirkdb.cli.Dirk"));
    command.addAll(args);
    Files.createDirectories(log.getParent());
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(env);
    Process process = builder.start();
    RUNNING.add(process);
    process.onExit().thenRun(() -> RUNNING.remove(process));
    return process;
  }

  /**
   * Plays the Job's one pod without running it: the pod ends with {@code exitCode} and {@code terminationMessage}
   * (null: none), and the Job succeeds or fails as the real controller records it (backoff limit 0).
   */
  void finish(Job job, int exitCode, String terminationMessage) {
    String name = job.getMetadata().getName();
    recordPod(job, name + "-0", job.getSpec().getTemplate().getSpec().getContainers().get(0).getName(), exitCode,
        terminationMessage);
    String now = Instant.now().toString();
    if (exitCode == 0) {
      writeStatus(name, j -> j.withNewStatus().withActive(0).withSucceeded(1).withFailed(0).withStartTime(now)
          .withCompletionTime(now).withConditions(new JobConditionBuilder().withType("Complete").withStatus("True")
              .withLastTransitionTime(now).build())
          .endStatus());
    } else {
      writeStatus(name, j -> j.withNewStatus().withActive(0).withSucceeded(0).withFailed(1).withStartTime(now)
          .withConditions(new JobConditionBuilder().withType("Failed").withStatus("True")
              .withReason("BackoffLimitExceeded").withMessage("Job has reached the specified backoff limit")
              .withLastTransitionTime(now).build())
          .endStatus());
    }
  }

  /**
   * Plays the one pod of a scheduled backup's Job (CronJob {@code <name>-backup}): its init container {@code backup}
   * ends with {@code backupExit} and {@code backupMessage}, then (if the backup succeeded) its container {@code prune}
   * with {@code pruneExit}; the Job succeeds when both did.
   */
  void finishScheduled(Job job, int backupExit, String backupMessage, int pruneExit) {
    finishScheduled(job, backupExit, backupMessage, pruneExit, null);
  }

  /** As {@link #finishScheduled(Job, int, String, int)}, the prune container ending with {@code pruneMessage}. */
  void finishScheduled(Job job, int backupExit, String backupMessage, int pruneExit, String pruneMessage) {
    String name = job.getMetadata().getName();
    String podName = name + "-0";
    Pod pod = new PodBuilder()
        .withNewMetadata().withName(podName).withNamespace(namespace)
        .addToLabels(job.getSpec().getTemplate().getMetadata().getLabels())
        .addToLabels("job-name", name)
        .addToLabels("batch.kubernetes.io/job-name", name)
        .withCreationTimestamp(Instant.now().toString())
        .endMetadata()
        .withSpec(job.getSpec().getTemplate().getSpec())
        .build();
    client.pods().inNamespace(namespace).resource(pod).create();
    boolean succeeded = backupExit == 0 && pruneExit == 0;
    Kubelet.retryOnConflict(() -> client.pods().inNamespace(namespace).withName(podName).editStatus(p -> {
      var status = new PodBuilder(p).withNewStatus().withPhase(succeeded ? "Succeeded" : "Failed")
          .addNewInitContainerStatus().withName(job.getSpec().getTemplate().getSpec().getInitContainers().get(0)
              .getName()).withReady(false).withRestartCount(0)
          .withNewState().withNewTerminated().withExitCode(backupExit).withReason(backupExit == 0 ? "Completed" : "Error")
          .withMessage(backupMessage).endTerminated().endState()
          .endInitContainerStatus();
      if (backupExit == 0) {
        status.addNewContainerStatus().withName(job.getSpec().getTemplate().getSpec().getContainers().get(0).getName())
            .withReady(false).withRestartCount(0)
            .withNewState().withNewTerminated().withExitCode(pruneExit).withReason(pruneExit == 0 ? "Completed" : "Error")
            .withMessage(pruneMessage).endTerminated().endState()
            .endContainerStatus();
      }
      return status.endStatus().build();
    }));
    String now = Instant.now().toString();
    if (succeeded) {
      writeStatus(name, j -> j.withNewStatus().withActive(0).withSucceeded(1).withFailed(0).withStartTime(now)
          .withCompletionTime(now).withConditions(new JobConditionBuilder().withType("Complete").withStatus("True")
              .withLastTransitionTime(now).build())
          .endStatus());
    } else {
      writeStatus(name, j -> j.withNewStatus().withActive(0).withSucceeded(0).withFailed(1).withStartTime(now)
          .withConditions(new JobConditionBuilder().withType("Failed").withStatus("True")
              .withReason("BackoffLimitExceeded").withMessage("Job has reached the specified backoff limit")
              .withLastTransitionTime(now).build())
          .endStatus());
    }
  }

  /** The pod of a Job's attempt, ended: labelled as the Job controller labels it, its container terminated. */
  private void recordPod(Job job, String podName, String containerName, int exitCode, String message) {
    Pod pod = new PodBuilder()
        .withNewMetadata().withName(podName).withNamespace(namespace)
        .addToLabels(job.getSpec().getTemplate().getMetadata().getLabels())
        .addToLabels("job-name", job.getMetadata().getName())
        .addToLabels("batch.kubernetes.io/job-name", job.getMetadata().getName())
        .withCreationTimestamp(Instant.now().toString())
        .endMetadata()
        .withSpec(job.getSpec().getTemplate().getSpec())
        .build();
    client.pods().inNamespace(namespace).resource(pod).create();
    Kubelet.retryOnConflict(() -> client.pods().inNamespace(namespace).withName(podName).editStatus(p -> new PodBuilder(p)
        .withNewStatus().withPhase(exitCode == 0 ? "Succeeded" : "Failed")
        .addNewContainerStatus().withName(containerName).withReady(false).withRestartCount(0)
        .withNewState().withNewTerminated().withExitCode(exitCode).withReason(exitCode == 0 ? "Completed" : "Error")
        .withMessage(message).endTerminated().endState()
        .endContainerStatus()
        .endStatus().build()));
  }

  private static String clip(String text, int bytes) {
    byte[] raw = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return raw.length <= bytes ? text : new String(raw, 0, bytes, java.nio.charset.StandardCharsets.UTF_8);
  }

  private void writeStatus(String name, java.util.function.UnaryOperator<JobBuilder> status) {
    Kubelet.retryOnConflict(() -> client.batch().v1().jobs().inNamespace(namespace).withName(name)
        .editStatus(j -> status.apply(new JobBuilder(j)).build()));
  }
}
