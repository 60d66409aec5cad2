"""factory_boy factories for the catalogue's models."""

import json

import factory
from django.contrib.auth import get_user_model

from videos.models import FewShotExample, PromptTemplate, Summary, SummaryJob, Transcript, Video

FIELDS = [
    "Algorithms and Data Structures",
    "Artificial Intelligence (AI) and Machine Learning",
    "Computer Architecture",
    "Data Science and Analytics",
    "Database Systems and Management",
    "Human-Computer Interaction (HCI)",
    "Programming Languages and Software Development",
    "Software Engineering and System Design",
    "Web Development and Internet Technologies",
    "Computer Graphics and Visualization",
    "Theoretical Computer Science",
    "Quantum Computing",
]
SCALE = [
    {"min": round(i / 10, 2), "max": round(i / 10 + 0.09, 2) if i < 9 else 1.0, "label": label}
    for i, label in enumerate(
        [
            "Elementary",
            "Middle School",
            "High School",
            "Advanced High School",
            "Introductory College",
            "Average College Lecture",
            "Advanced College",
            "Graduate Level",
            "Advanced Graduate Level",
            "PhD Level Lecture",
        ]
    )
]


def summary_data(sections=5, bullets=4, section_topics=3, topics=5, general=(("Quantum Computing", 0.5),), prefix="x"):
    return {
        "introduction": f"{prefix} introduction about the video.",
        "sections": [
            {
                "title": f"Section {i + 1}: {prefix} part {i + 1}",
                "content": [f"{prefix} bullet {i + 1}.{b + 1}" for b in range(bullets)],
                "topics": [f"{prefix} topic {i + 1}.{t + 1}" for t in range(section_topics)],
            }
            for i in range(sections)
        ],
        "topics": [f"{prefix} global {t + 1}" for t in range(topics)],
        "General Topics": [{"topic": f, "complexity": c} for f, c in general],
    }


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests-1")


class VideoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Video

    youtube_id = factory.Sequence(lambda n: f"vid{n:08d}")
    url = factory.LazyAttribute(lambda o: f"https://www.youtube.com/watch?v={o.youtube_id}")
    title = factory.Sequence(lambda n: f"Video {n}")
    channel = "Channel"


class TranscriptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transcript

    video = factory.SubFactory(VideoFactory)
    source = Transcript.Source.UPLOAD
    language_code = "en"
    full_text = "a transcript about hash tables and b trees"
    segments = factory.LazyAttribute(lambda o: [{"start": 0.0, "duration": 1.0, "text": o.full_text}])


class TemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PromptTemplate

    name = factory.Sequence(lambda n: f"tpl{n}")
    version = 1
    instruction = "Summarize."
    general_topics = FIELDS
    complexity_scale = SCALE
    is_default = True


class ExampleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FewShotExample

    template = factory.SubFactory(TemplateFactory)
    name = factory.Sequence(lambda n: f"ex{n}")
    transcript = "an example transcript"
    answer = factory.LazyFunction(lambda: json.dumps(summary_data()))


class SummaryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Summary

    video = factory.SubFactory(VideoFactory)
    template = factory.SubFactory(TemplateFactory)
    model_id = "test-model"
    job = factory.RelatedFactory("tests.videos.factories.SummaryJobFactory", factory_related_name="summary")


class SummaryJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SummaryJob
