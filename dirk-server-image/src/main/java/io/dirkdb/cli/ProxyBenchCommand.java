package io.dirkdb.cli;

import io.dirkdb.proxy.ProxyBenchmark;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dirk bench proxy}: what the routing proxy costs and the cache saves, against a member straight. */
@Command(name = "proxy", mixinStandardHelpOptions = true,
        description = {"Measures point lookups/s straight to a member, through the proxy, and repeated reads",
                "through the cache (hits), with a member, a proxy and a cache on loopback in this process."})
public final class ProxyBenchCommand implements Callable<Integer> {

    @Option(names = "--rows", defaultValue = "10000", description = "rows of the lookup table (default: ${DEFAULT-VALUE})")
    int rows;

    @Option(names = "--lookups", defaultValue = "20000", description = "lookups per measure (default: ${DEFAULT-VALUE})")
    int lookups;

    @Option(names = "--connections", defaultValue = "4", description = "client connections (default: ${DEFAULT-VALUE})")
    int connections;

    @Option(names = "--rounds", defaultValue = "3", description = "rounds; the best of each is printed (default: ${DEFAULT-VALUE})")
    int rounds;

    @Override
    public Integer call() throws Exception {
        if (rows < 1 || lookups < 1 || connections < 1 || rounds < 1) {
            System.err.println("dirk bench proxy: counts must be positive");
            return 2;
        }
        ProxyBenchmark.Settings defaults = ProxyBenchmark.Settings.defaults();
        ProxyBenchmark.run(new ProxyBenchmark.Settings(rows, lookups, connections, defaults.hotKeys(), rounds), System.out);
        return 0;
    }
}
