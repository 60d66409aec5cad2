"""Model signals that keep the catalogue's cache exact (videos.catalogue.cache).

The services call `cache.invalidate()` themselves where they change what the
catalogue shows (a stored result, a current summary). These receivers cover
edits and deletions made anywhere else, the admin included.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .catalogue import cache
from .models import PromptTemplate, Summary, Topic, Video


@receiver(post_save, sender=Video, dispatch_uid="catalogue-video-saved")
@receiver(post_save, sender=PromptTemplate, dispatch_uid="catalogue-template-saved")
@receiver(post_save, sender=Topic, dispatch_uid="catalogue-topic-saved")
@receiver(post_delete, sender=Video, dispatch_uid="catalogue-video-deleted")
@receiver(post_delete, sender=PromptTemplate, dispatch_uid="catalogue-template-deleted")
@receiver(post_delete, sender=Summary, dispatch_uid="catalogue-summary-deleted")
def _catalogue_changed(sender, **kwargs):
    cache.invalidate()


@receiver(post_save, sender=Summary, dispatch_uid="catalogue-summary-saved")
def _summary_saved(sender, instance: Summary, **kwargs):
    # The catalogue lists current summaries only; a job's moves before that change nothing in it.
    if instance.is_current or instance.status == Summary.Status.DONE:
        cache.invalidate()
