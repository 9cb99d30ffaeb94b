"""Index generations on a real node: a generation being built has the mapping but not the read alias, and the
prefix's template being re-installed (a new mapping version) keeps it that way."""

from __future__ import annotations

from elasticsearch import Elasticsearch

from services.common.elastic import current_generation, generation_template, install_template, template_name


def test_a_generation_being_built_stays_out_of_the_read_alias(settings, es: Elasticsearch) -> None:
    prefix = settings.index_prefix
    install_template(es, settings)
    es.indices.create(index=f"{prefix}-2025.07")
    name, body = generation_template(settings, 1, aliased=False)
    es.indices.put_index_template(name=name, **body)
    es.indices.create(index=f"{prefix}-g1-2025.07")
    assert set(es.indices.get_alias(name=prefix)) == {f"{prefix}-2025.07"}
    assert current_generation(es, prefix) == 0

    # A new version of the prefix's template is installed (the indexer does it at start): the generation's template
    # is rewritten with it and still holds the alias back.
    es.indices.delete_index_template(name=template_name(settings))
    assert install_template(es, settings)
    rewritten = es.indices.get_index_template(name=name)["index_templates"][0]["index_template"]
    assert rewritten["template"].get("aliases", {}) == {}
    assert rewritten["index_patterns"] == [f"{prefix}-g1-*"]
    es.indices.create(index=f"{prefix}-g1-2025.08")
    assert f"{prefix}-g1-2025.08" not in set(es.indices.get_alias(name=prefix))

    # At the swap the generation's template gets the alias: months it opens later are searchable.
    es.indices.put_index_template(name=name, **generation_template(settings, 1, aliased=True)[1])
    es.indices.update_aliases(
        actions=[
            {"remove": {"index": f"{prefix}-2025.07", "alias": prefix}},
            {"add": {"index": f"{prefix}-g1-2025.07", "alias": prefix}},
            {"add": {"index": f"{prefix}-g1-2025.08", "alias": prefix}},
        ]
    )
    es.indices.create(index=f"{prefix}-g1-2025.09")
    assert set(es.indices.get_alias(name=prefix)) == {f"{prefix}-g1-2025.{month}" for month in ("07", "08", "09")}
    assert current_generation(es, prefix) == 1
