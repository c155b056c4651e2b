from django.core.management.base import BaseCommand, CommandError

from articles import governance


class Command(BaseCommand):
    help = (
        "Merge people, topics, countries, sections or authors into one: every story of the "
        "others moves to it, their names become its aliases (people and topics) and their "
        "pages and feeds answer 301 to its own. "
        "Example: merge_tags person Netanyahu 'Bibi Netanyahu' --into 'Benjamin Netanyahu'."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", help=", ".join(governance.GOVERNED))
        parser.add_argument("names", nargs="+", help="names (or addresses) of those to merge")
        parser.add_argument("--into", required=True, help="name (or address) of the one to keep")

    def handle(self, *args, kind, names, into, verbosity, **options):
        model = governance.GOVERNED.get(kind.lower())
        if model is None:
            raise CommandError(
                f"unknown kind “{kind}”: use one of {', '.join(governance.GOVERNED)}"
            )
        label = model._meta.verbose_name
        found = {name: governance.find_named(model, name) for name in [into, *names]}
        if missing := [name for name, row in found.items() if row is None]:
            raise CommandError(f"no {label} called {', '.join(f'“{n}”' for n in missing)}")
        survivor = found.pop(into)
        try:
            result = governance.merge(
                survivor=survivor, others=list(found.values()), actor="merge_tags"
            )
        except governance.MergeRefused as refusal:
            raise CommandError(str(refusal)) from None
        if verbosity >= 1:
            merged = ", ".join(f"“{name}”" for name in result.merged)
            self.stdout.write(
                f"Merged {merged} into “{survivor.name}”: {result.stories} "
                f"{'story' if result.stories == 1 else 'stories'} moved."
            )
