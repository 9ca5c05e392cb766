<?php
// Heading
$_['heading_title']    = 'ocdata webhooks';

// Text
$_['text_extension']   = 'Extensions';
$_['text_success']     = 'Success: you have modified the ocdata webhooks settings!';
$_['text_edit']        = 'Edit ocdata webhooks';
$_['text_help']        = 'Sends order, customer and product events, signed with the shared secret, to an ocdata receiver (run "ocdata events serve" and copy its URL and secret here).';

// Entry
$_['entry_status']     = 'Status';
$_['entry_url']        = 'Receiver URL';
$_['entry_secret']     = 'Shared secret';
$_['entry_events']     = 'Events';

// Error
$_['error_permission'] = 'Warning: you do not have permission to modify ocdata webhooks!';
$_['error_url']        = 'The receiver URL must start with http:// or https://';
$_['error_secret']     = 'The shared secret needs at least 16 characters';
$_['error_events']     = 'Choose at least one event';
