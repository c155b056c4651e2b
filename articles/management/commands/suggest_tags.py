from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.intelligence.entities import split_story_file, suggest_entities


class Command(BaseCommand):
    help = (
        "Suggest people and countries for raw story text, one a line "
        "(“person: Donald Trump”, “country: IL Israel”). With -v 2, guesses too, each "
        "with its confidence."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "files", nargs="+", help="plain-text stories (a story-file header block is allowed)"
        )

    def handle(self, *args, files, verbosity, **options):
        for name in files:
            try:
                content = Path(name).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise CommandError(f"{name}: cannot read: {error}") from error
            if len(files) > 1:
                self.stdout.write(f"# {name}")
            for suggestion in suggest_entities(*split_story_file(content)):
                if verbosity >= 2:
                    self.stdout.write(f"{suggestion}  ({suggestion.confidence:.2f})")
                elif suggestion.is_confident:
                    self.stdout.write(str(suggestion))
