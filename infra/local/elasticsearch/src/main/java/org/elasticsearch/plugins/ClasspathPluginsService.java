package org.elasticsearch.plugins;

import org.elasticsearch.Build;
import org.elasticsearch.action.admin.cluster.node.info.PluginsAndModules;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.spi.SPIClassIterator;

import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@link PluginsService} whose plugins are classes on the application classpath instead of bundles under
 * {@code modules/} and {@code plugins/}. Same idea as the test framework's MockPluginsService, without depending on the
 * test framework (which drags in JUnit, Mockito and ESTestCase's static initialisation).
 *
 * Lives in {@code org.elasticsearch.plugins} because {@link LoadedPlugin}, {@code loadPlugin} and {@code loadExtensions}
 * are package-private. Dateline local development only.
 */
public class ClasspathPluginsService extends PluginsService {

    private final List<LoadedPlugin> classpathPlugins;

    public ClasspathPluginsService(Settings settings, Environment environment, Collection<Class<? extends Plugin>> pluginClasses) {
        super(settings, environment.configDir(), new PluginsLoader(Set.of(), Set.of(), Map.of()));
        List<LoadedPlugin> loaded = new ArrayList<>();
        for (Class<? extends Plugin> pluginClass : pluginClasses) {
            Plugin plugin = loadPlugin(pluginClass, settings, environment.configDir());
            PluginDescriptor descriptor = new PluginDescriptor(
                pluginClass.getName(),
                "classpath plugin",
                "NA",
                Build.current().version(),
                Integer.toString(Runtime.version().feature()),
                pluginClass.getName(),
                null,
                List.of(),
                false,
                false,
                false,
                false
            );
            loaded.add(new LoadedPlugin(descriptor, plugin, ClasspathPluginsService.class.getClassLoader()));
        }
        loadExtensions(loaded);
        this.classpathPlugins = List.copyOf(loaded);
    }

    @Override
    protected final List<LoadedPlugin> plugins() {
        return classpathPlugins;
    }

    @Override
    public PluginsAndModules info() {
        return new PluginsAndModules(classpathPlugins.stream().map(LoadedPlugin::descriptor).map(PluginRuntimeInfo::new).toList(), List.of());
    }

    /**
     * All plugins share one class loader, so a plain SPI scan would offer every plugin every provider; keep only providers
     * whose one-argument constructor (if any) takes this plugin's type, and de-duplicate.
     */
    @Override
    @SuppressWarnings("unchecked")
    public <T> List<? extends T> loadServiceProviders(Class<T> service) {
        Map<Class<?>, T> result = new HashMap<>();
        for (LoadedPlugin loadedPlugin : plugins()) {
            Plugin plugin = loadedPlugin.instance();
            Iterator<Class<? extends T>> classes = SPIClassIterator.get(service, plugin.getClass().getClassLoader());
            while (classes.hasNext()) {
                Class<? extends T> extensionClass = classes.next();
                if (result.containsKey(extensionClass)) {
                    continue;
                }
                boolean compatible = true;
                for (Constructor<?> constructor : extensionClass.getConstructors()) {
                    if (constructor.getParameterCount() == 1 && constructor.getParameterTypes()[0] != plugin.getClass()) {
                        compatible = false;
                        break;
                    }
                }
                if (compatible) {
                    result.put(extensionClass, createExtension(extensionClass, service, plugin));
                }
            }
        }
        return List.copyOf(result.values());
    }
}
