package io.dirkdb.kubectl;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintWriter;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kubectl dirk}: the kubectl plugin of DirkDB. kubectl runs {@code kubectl-dirk} from the PATH with every
 * argument after {@code dirk}, so {@code -n}, {@code --context} and {@code --kubeconfig} arrive here; KUBECONFIG and the
 * current context are read as kubectl reads them (Fabric8's Config).
 */
@Command(name = "kubectl dirk", mixinStandardHelpOptions = true, versionProvider = KubectlDirk.Version.class,
    description = "Operate DirkDB clusters (DirkCluster resources) managed by the dirk operator.",
    subcommands = {StatusCommand.class, PromoteCommand.class, FenceCommands.Fence.class, FenceCommands.Unfence.class,
        HibernateCommand.class, PauseCommands.Pause.class, PauseCommands.Resume.class, ResyncCommand.class,
        ClientCommand.class, LogsCommand.class, CommandLine.HelpCommand.class})
public final class KubectlDirk implements Runnable {

  @Option(names = {"-n", "--namespace"}, scope = CommandLine.ScopeType.INHERIT,
      description = "Namespace of the cluster (default: the context's namespace).")
  String namespace;

  @Option(names = "--context", scope = CommandLine.ScopeType.INHERIT,
      description = "The kubeconfig context to use (default: the current context).")
  String context;

  @Option(names = "--kubeconfig", scope = CommandLine.ScopeType.INHERIT,
      description = "Path of the kubeconfig file (default: KUBECONFIG, then ~/.kube/config).")
  String kubeconfig;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  private final Function<KubectlDirk, KubernetesClient> clients;

  /** The command line that talks to the cluster kubectl would talk to. */
  public KubectlDirk() {
    this(KubectlDirk::connect);
  }

  /** The command line that gets its client from {@code clients} (tests hand in the mock server's). */
  public KubectlDirk(Function<KubectlDirk, KubernetesClient> clients) {
    this.clients = clients;
  }

  public static void main(String[] args) {
    System.exit(commandLine(new KubectlDirk()).execute(args));
  }

  /** The picocli command line with the plugin's error handling: a user error is one sentence, exit code 1. */
  public static CommandLine commandLine(KubectlDirk root) {
    CommandLine line = new CommandLine(root);
    line.setExecutionExceptionHandler((e, cmd, parsed) -> {
      PrintWriter err = cmd.getErr();
      if (e instanceof UserError) {
        err.println("error: " + e.getMessage());
      } else if (e instanceof KubernetesClientException k && k.getCode() == 0) {
        Throwable cause = k;
        while (cause.getCause() != null) {
          cause = cause.getCause();
        }
        err.println("error: cannot reach the Kubernetes API (" + cause.getMessage() + "); check --context and KUBECONFIG");
      } else if (e instanceof KubernetesClientException k) {
        err.println("error: the Kubernetes API answered " + (k.getCode() > 0 ? k.getCode() + ": " : "")
            + (k.getStatus() != null && k.getStatus().getMessage() != null ? k.getStatus().getMessage() : k.getMessage()));
      } else {
        err.println("error: " + e);
        if (System.getenv("DIRK_PLUGIN_DEBUG") != null) {
          e.printStackTrace(err);
        }
      }
      err.flush();
      return 1;
    });
    return line;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** A client for the selected context and namespace; the caller closes it. */
  KubernetesClient client() {
    return clients.apply(this);
  }

  private static KubernetesClient connect(KubectlDirk options) {
    if (options.kubeconfig != null) {
      System.setProperty(Config.KUBERNETES_KUBECONFIG_FILE, options.kubeconfig);
    }
    Config config = Config.autoConfigure(options.context);
    if (options.namespace != null) {
      config.setNamespace(options.namespace);
    }
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /** The namespace a command acts in: -n, else the client's (the context's, else default). */
  String namespace(KubernetesClient client) {
    if (namespace != null) {
      return namespace;
    }
    String ns = client.getNamespace();
    return ns == null ? "default" : ns;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = KubectlDirk.class.getPackage().getImplementationVersion();
      return new String[] {"kubectl-dirk " + (v == null ? "(development build)" : v)};
    }
  }
}
