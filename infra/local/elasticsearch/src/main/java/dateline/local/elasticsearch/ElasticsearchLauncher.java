package dateline.local.elasticsearch;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configurator;
import org.elasticsearch.Build;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.ClasspathPluginsNode;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Starts one Elasticsearch node for local development and tests, from jars on the classpath (Maven Central), without a
 * distribution: no x-pack, no bootstrap checks, no security manager / entitlements, no JNA natives.
 *
 * <pre>java -cp 'lib/*' dateline.local.elasticsearch.ElasticsearchLauncher HOME_DIR HTTP_PORT [NODE_NAME]</pre>
 *
 * HOME_DIR becomes path.home; data and logs go to HOME_DIR/data and HOME_DIR/logs. Logs are written to stdout.
 * SIGTERM (or Ctrl-C) closes the node cleanly.
 */
public final class ElasticsearchLauncher {

    public static final String CLUSTER_NAME = "dateline-local";

    private static final List<Class<? extends Plugin>> PLUGINS = List.of(
        Netty4Plugin.class,
        DatelineAnalysisPlugin.class,
        RootEndpointPlugin.class
    );

    private ElasticsearchLauncher() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: ElasticsearchLauncher HOME_DIR HTTP_PORT [NODE_NAME]");
            System.exit(2);
        }
        // our shutdown hook logs while closing the node; log4j must not shut itself down first
        System.setProperty("log4j.shutdownHookEnabled", "false");
        System.setProperty("log4j2.disable.jmx", "true");
        // Netty4Plugin sets Netty's processor count itself unless told not to; it fails if Netty already set it
        System.setProperty("es.set.netty.runtime.available.processors", "false");

        Path home = Path.of(args[0]).toAbsolutePath().normalize();
        int httpPort = Integer.parseInt(args[1]);
        String nodeName = args.length == 3 ? args[2] : "dateline-local-1";

        Path config = Files.createDirectories(home.resolve("config"));
        Path data = Files.createDirectories(home.resolve("data"));
        Path logs = Files.createDirectories(home.resolve("logs"));
        writeLoggingConfig(config);

        Settings settings = Settings.builder()
            .put("cluster.name", CLUSTER_NAME)
            .put("node.name", nodeName)
            .put("path.home", home.toString())
            .put("path.data", data.toString())
            .put("path.logs", logs.toString())
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.host", "127.0.0.1")
            .put("http.port", httpPort)
            .put("transport.port", 0)
            // a developer laptop's disk is often >90% full; do not turn indices read-only because of it
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .build();

        LogConfigurator.registerErrorListener();
        Environment environment = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), config, () -> nodeName);
        LogConfigurator.setClusterName(CLUSTER_NAME);
        LogConfigurator.setNodeName(nodeName);
        LogConfigurator.configure(environment, true);

        Logger logger = LogManager.getLogger(ElasticsearchLauncher.class);
        logger.info(
            "starting Elasticsearch {} (Lucene {}) from the classpath: home [{}], http port [{}], pid [{}]",
            Build.current().qualifiedVersion(),
            org.apache.lucene.util.Version.LATEST,
            home,
            httpPort,
            ProcessHandle.current().pid()
        );

        CountDownLatch stopped = new CountDownLatch(1);
        Node node = new ClasspathPluginsNode(environment, PLUGINS);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                logger.info("stopping node");
                try {
                    node.prepareForClose();
                } catch (Exception e) {
                    logger.warn("failed to prepare node for close", e);
                }
                node.close();
                if (node.awaitClose(20, TimeUnit.SECONDS) == false) {
                    logger.warn("node did not close within 20s");
                }
                logger.info("node stopped");
            } catch (Exception e) {
                logger.error("failure while stopping node", e);
            } finally {
                stopped.countDown();
                Configurator.shutdown((LoggerContext) LogManager.getContext(false));
            }
        }, "dateline-es-shutdown"));

        try {
            node.start();
        } catch (Throwable t) {
            logger.error("node failed to start", t);
            System.exit(1);
        }
        logger.info("node started; cluster [{}], node [{}]", CLUSTER_NAME, nodeName);
        stopped.await(); // keep a non-daemon thread alive until the shutdown hook has run
    }

    private static void writeLoggingConfig(Path config) throws IOException {
        String properties = """
            # written by dateline.local.elasticsearch.ElasticsearchLauncher on every start
            status = error
            appender.console.type = Console
            appender.console.name = console
            appender.console.layout.type = PatternLayout
            appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n
            rootLogger.level = info
            rootLogger.appenderRef.console.ref = console
            # Elasticsearch's deprecation messages are interesting locally: they tell us what production 8.x will warn about
            logger.deprecation.name = org.elasticsearch.deprecation
            logger.deprecation.level = warn
            """;
        Files.writeString(config.resolve("log4j2.properties"), properties, StandardCharsets.UTF_8);
    }
}
