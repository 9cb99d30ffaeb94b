package dateline.local.elasticsearch;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.StopFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.core.KeywordTokenizer;
import org.apache.lucene.analysis.core.WhitespaceTokenizer;
import org.apache.lucene.analysis.el.GreekLowerCaseFilter;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.en.EnglishMinimalStemFilter;
import org.apache.lucene.analysis.en.EnglishPossessiveFilter;
import org.apache.lucene.analysis.en.KStemFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.ga.IrishLowerCaseFilter;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.miscellaneous.TrimFilter;
import org.apache.lucene.analysis.miscellaneous.WordDelimiterGraphFilter;
import org.apache.lucene.analysis.miscellaneous.WordDelimiterIterator;
import org.apache.lucene.analysis.snowball.SnowballFilter;
import org.apache.lucene.analysis.tr.TurkishLowerCaseFilter;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractIndexAnalyzerProvider;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.AbstractTokenizerFactory;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.index.analysis.NormalizingTokenFilterFactory;
import org.elasticsearch.index.analysis.PreBuiltAnalyzerProviderFactory;
import org.elasticsearch.index.analysis.PreConfiguredTokenFilter;
import org.elasticsearch.index.analysis.PreConfiguredTokenizer;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.indices.analysis.PreBuiltCacheFactory.CachingStrategy;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;
import org.tartarus.snowball.ext.EnglishStemmer;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The slice of Elasticsearch's {@code analysis-common} module that Dateline's index template uses, registered under the
 * same names and with the same Lucene chains as the real module (which is not published to Maven Central). Core server
 * already provides: analyzers {@code standard}/{@code default}/{@code keyword}, tokenizer {@code standard}, token filters
 * {@code lowercase} (pre-configured), {@code stop} (configurable), {@code shingle}, {@code hunspell}, normalizer
 * {@code lowercase}; those names are not registered again here (Elasticsearch refuses duplicates).
 */
public class DatelineAnalysisPlugin extends Plugin implements AnalysisPlugin {

    // ---- analyzers -------------------------------------------------------------------------------------------------

    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> analyzers = new TreeMap<>();
        analyzers.put("english", EnglishAnalyzerProvider::new);
        return analyzers;
    }

    @Override
    public List<PreBuiltAnalyzerProviderFactory> getPreBuiltAnalyzerProviderFactories() {
        // what "analyzer": "english" resolves to when the index does not define its own "english"
        return List.of(new PreBuiltAnalyzerProviderFactory("english", CachingStrategy.LUCENE, EnglishAnalyzer::new));
    }

    /** Same as analysis-common's EnglishAnalyzerProvider: stopwords/stopwords_path and stem_exclusion settings. */
    static final class EnglishAnalyzerProvider extends AbstractIndexAnalyzerProvider<EnglishAnalyzer> {
        private final EnglishAnalyzer analyzer;

        EnglishAnalyzerProvider(IndexSettings indexSettings, Environment env, String name, Settings settings) {
            super(name, settings);
            analyzer = new EnglishAnalyzer(
                Analysis.parseStopWords(env, settings, EnglishAnalyzer.getDefaultStopSet()),
                Analysis.parseStemExclusion(settings, CharArraySet.EMPTY_SET)
            );
        }

        @Override
        public EnglishAnalyzer get() {
            return analyzer;
        }
    }

    // ---- token filters ---------------------------------------------------------------------------------------------

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        Map<String, AnalysisProvider<TokenFilterFactory>> filters = new TreeMap<>();
        filters.put("lowercase", LowerCaseTokenFilterFactory::new);
        filters.put("asciifolding", AsciiFoldingTokenFilterFactory::new);
        filters.put("porter_stem", (i, e, name, s) -> simple(name, s, PorterStemFilter::new));
        filters.put("kstem", (i, e, name, s) -> simple(name, s, KStemFilter::new));
        filters.put("trim", (i, e, name, s) -> simple(name, s, TrimFilter::new));
        filters.put("stemmer", StemmerTokenFilterFactory::new);
        return filters;
    }

    @Override
    public List<PreConfiguredTokenFilter> getPreConfiguredTokenFilters() {
        return List.of(
            PreConfiguredTokenFilter.singleton("asciifolding", true, ASCIIFoldingFilter::new),
            PreConfiguredTokenFilter.singleton("porter_stem", false, PorterStemFilter::new),
            PreConfiguredTokenFilter.singleton("kstem", false, KStemFilter::new),
            PreConfiguredTokenFilter.singleton("stemmer", false, PorterStemFilter::new),
            PreConfiguredTokenFilter.singleton("trim", true, TrimFilter::new),
            // the stop filter is in lucene-core but its English stop word set is in lucene-analysis-common
            PreConfiguredTokenFilter.singleton("stop", false, in -> new StopFilter(in, EnglishAnalyzer.ENGLISH_STOP_WORDS_SET)),
            // as analysis-common does for indices created on 7.3+ (offsets adjusted)
            PreConfiguredTokenFilter.singleton(
                "word_delimiter_graph",
                false,
                false,
                in -> new WordDelimiterGraphFilter(
                    in,
                    true,
                    WordDelimiterIterator.DEFAULT_WORD_DELIM_TABLE,
                    WordDelimiterGraphFilter.GENERATE_WORD_PARTS | WordDelimiterGraphFilter.GENERATE_NUMBER_PARTS
                        | WordDelimiterGraphFilter.SPLIT_ON_CASE_CHANGE | WordDelimiterGraphFilter.SPLIT_ON_NUMERICS
                        | WordDelimiterGraphFilter.STEM_ENGLISH_POSSESSIVE,
                    null
                )
            )
        );
    }

    private static TokenFilterFactory simple(String name, Settings settings, Function<TokenStream, TokenStream> create) {
        return new AbstractTokenFilterFactory(name, settings) {
            @Override
            public TokenStream create(TokenStream tokenStream) {
                return create.apply(tokenStream);
            }
        };
    }

    /** {@code {"type": "lowercase", "language": "greek|irish|turkish"}}; usable in normalizers. */
    static final class LowerCaseTokenFilterFactory extends AbstractTokenFilterFactory implements NormalizingTokenFilterFactory {
        private final String lang;

        LowerCaseTokenFilterFactory(IndexSettings indexSettings, Environment env, String name, Settings settings) {
            super(name, settings);
            this.lang = settings.get("language", null);
            if (lang != null && List.of("greek", "irish", "turkish").contains(lang) == false) {
                throw new IllegalArgumentException("language [" + lang + "] not support for lower case");
            }
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            if (lang == null) {
                return new LowerCaseFilter(tokenStream);
            }
            return switch (lang) {
                case "greek" -> new GreekLowerCaseFilter(tokenStream);
                case "irish" -> new IrishLowerCaseFilter(tokenStream);
                default -> new TurkishLowerCaseFilter(tokenStream);
            };
        }
    }

    /** {@code {"type": "asciifolding", "preserve_original": bool}}; usable in normalizers (never preserves there). */
    static final class AsciiFoldingTokenFilterFactory extends AbstractTokenFilterFactory implements NormalizingTokenFilterFactory {
        private final boolean preserveOriginal;

        AsciiFoldingTokenFilterFactory(IndexSettings indexSettings, Environment env, String name, Settings settings) {
            super(name, settings);
            this.preserveOriginal = settings.getAsBoolean("preserve_original", false);
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            return new ASCIIFoldingFilter(tokenStream, preserveOriginal);
        }

        @Override
        public TokenStream normalize(TokenStream tokenStream) {
            return new ASCIIFoldingFilter(tokenStream, false);
        }
    }

    /**
     * {@code {"type": "stemmer", "language": ...}} for the English family only: english/porter (Porter), porter2 (Snowball
     * English), light_english/lightEnglish (KStem), minimal_english, possessive_english. Other languages are rejected.
     */
    static final class StemmerTokenFilterFactory extends AbstractTokenFilterFactory {
        private final Function<TokenStream, TokenStream> stemmer;

        StemmerTokenFilterFactory(IndexSettings indexSettings, Environment env, String name, Settings settings) {
            super(name, settings);
            String language = settings.get("language", settings.get("name", "porter"));
            this.stemmer = switch (language.toLowerCase(Locale.ROOT)) {
                case "english", "porter" -> PorterStemFilter::new;
                case "porter2" -> in -> new SnowballFilter(in, new EnglishStemmer());
                case "light_english", "lightenglish", "kstem" -> KStemFilter::new;
                case "minimal_english", "minimalenglish" -> EnglishMinimalStemFilter::new;
                case "possessive_english", "possessiveenglish" -> EnglishPossessiveFilter::new;
                default -> throw new IllegalArgumentException(
                    "stemmer language [" + language + "] is not available in Dateline's local Elasticsearch (English only)"
                );
            };
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            return stemmer.apply(tokenStream);
        }
    }

    // ---- tokenizers (needed by custom analyzers such as {"tokenizer": "keyword"}) ---------------------------------------

    @Override
    public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
        Map<String, AnalysisProvider<TokenizerFactory>> tokenizers = new TreeMap<>();
        tokenizers.put("keyword", (i, e, name, s) -> new AbstractTokenizerFactory(i, s, name) {
            private final int bufferSize = s.getAsInt("buffer_size", 256);

            @Override
            public org.apache.lucene.analysis.Tokenizer create() {
                return new KeywordTokenizer(bufferSize);
            }
        });
        tokenizers.put("whitespace", (i, e, name, s) -> new AbstractTokenizerFactory(i, s, name) {
            @Override
            public org.apache.lucene.analysis.Tokenizer create() {
                return new WhitespaceTokenizer();
            }
        });
        return tokenizers;
    }

    @Override
    public List<PreConfiguredTokenizer> getPreConfiguredTokenizers() {
        return List.of(
            PreConfiguredTokenizer.singleton("keyword", KeywordTokenizer::new),
            PreConfiguredTokenizer.singleton("whitespace", WhitespaceTokenizer::new)
        );
    }
}
