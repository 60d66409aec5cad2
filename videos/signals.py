"""Model signals that keep the catalogue's cache exact (videos.catalogue_cache).

The services call `catalogue_cache.invalidate()` themselves where they change
what the catalogue shows with queryset updates (which send no signal). These
receivers cover the rest: edits and deletions made anywhere, the admin included
(a general topic's field or complexity can be edited on its own admin page).
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import catalogue_cache
from .models import PromptTemplate, Summary, SummaryGeneralTopic, SummaryTopic, Topic, Video


@receiver(post_save, sender=Video, dispatch_uid="catalogue-video-saved")
@receiver(post_save, sender=PromptTemplate, dispatch_uid="catalogue-template-saved")
@receiver(post_save, sender=Topic, dispatch_uid="catalogue-topic-saved")
@receiver(post_save, sender=SummaryGeneralTopic, dispatch_uid="catalogue-general-topic-saved")
@receiver(post_save, sender=SummaryTopic, dispatch_uid="catalogue-topic-link-saved")
@receiver(post_delete, sender=Video, dispatch_uid="catalogue-video-deleted")
@receiver(post_delete, sender=PromptTemplate, dispatch_uid="catalogue-template-deleted")
@receiver(post_delete, sender=Summary, dispatch_uid="catalogue-summary-deleted")
@receiver(post_delete, sender=SummaryGeneralTopic, dispatch_uid="catalogue-general-topic-deleted")
@receiver(post_delete, sender=SummaryTopic, dispatch_uid="catalogue-topic-link-deleted")
def _catalogue_changed(sender, **kwargs):
    catalogue_cache.invalidate()


@receiver(post_save, sender=Summary, dispatch_uid="catalogue-summary-saved")
def _summary_saved(sender, instance: Summary, **kwargs):
    # Queued and running summaries are saved often (progress); the catalogue lists done ones only.
    if instance.is_current or instance.status == Summary.Status.DONE:
        catalogue_cache.invalidate()
